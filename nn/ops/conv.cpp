// conv1d, conv2d (relu and max pool optionally fused), over kernels/conv.cpp
#include "nn/kernels/conv.hpp"
#include "nn/ops.hpp"
#include "nn/ops/param_grads.hpp"
#include "nn/ops/pool_geometry.hpp"

namespace ser::nn {

using op_detail::param_grads;
using op_detail::ParamGrads;
using op_detail::require;

namespace {
// The convolution op for both ranks (1-D is height 1), relu and a max pool
// optionally fused in. `two_d` decides the shapes' rank.
Tensor convolution(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dShape& s, bool relu,
                   const PoolOptions* max_pool, bool two_d) {
  const bool has_bias = b.defined();
  auto shape_of = [&](int64_t h, int64_t width) {
    return two_d ? Shape{s.batch, s.out_channels, h, width} : Shape{s.batch, s.out_channels, width};
  };
  if (max_pool) {
    require(relu, "conv: a fused max pool needs the fused relu");
    const Pool2dShape p = pool_geometry(s.out_channels, s.out_h, s.out_w, *max_pool, two_d);  // one sample's planes
    static_assert(sizeof(int32_t) == sizeof(float));  // the winners live in a pooled float buffer
    auto argmax = Buffer::uninitialized(s.batch * p.planes * p.out_h * p.out_w);
    auto pooled = Buffer::uninitialized(argmax->size());
    auto winners = [](Buffer& buf) { return reinterpret_cast<int32_t*>(buf.data()); };
    Tensor y = make_op_result(shape_of(p.out_h, p.out_w), {&x, &w, &b}, [s, p, has_bias, pooled, argmax, winners](TensorImpl& r) {
      TensorImpl& xi = *r.inputs[0];
      const ParamGrads pg = param_grads(*r.inputs[1], has_bias ? r.inputs[2].get() : nullptr);
      bool dx_fresh = false;
      float* dx = xi.grad_to_write(dx_fresh);
      conv2d_relu_maxpool_backward(xi.data->data(), r.inputs[1]->data->data(), pooled->data(), winners(*argmax),
                                   r.grad->data(), dx, pg.dw, pg.db, s, p, {.dx = dx_fresh, .params = pg.fresh});
    }, pooled);
    conv2d_relu_maxpool_forward(x.data(), w.data(), has_bias ? b.data() : nullptr, y.data(), winners(*argmax), s, p);
    return y;
  }
  // With the relu fused, backward needs the output: the closure keeps its
  // buffer (not the output tensor, which would be a cycle).
  auto out = Buffer::uninitialized(s.batch * s.out_channels * s.out_h * s.out_w);
  const std::shared_ptr<Buffer> relu_out = relu ? out : nullptr;
  Tensor y = make_op_result(shape_of(s.out_h, s.out_w), {&x, &w, &b}, [s, has_bias, relu_out](TensorImpl& r) {
    TensorImpl& xi = *r.inputs[0];
    const ParamGrads pg = param_grads(*r.inputs[1], has_bias ? r.inputs[2].get() : nullptr);
    bool dx_fresh = false;
    float* dx = xi.grad_to_write(dx_fresh);
    conv2d_backward(xi.data->data(), r.inputs[1]->data->data(), r.grad->data(), dx, pg.dw, pg.db, s,
                    relu_out ? relu_out->data() : nullptr, {.dx = dx_fresh, .params = pg.fresh});
  }, out);
  conv2d_forward(x.data(), w.data(), has_bias ? b.data() : nullptr, y.data(), s, relu);
  return y;
}
}  // namespace

Tensor conv1d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv1dOptions& o, bool relu,
              const PoolOptions* max_pool) {
  require(x.rank() == 3, "conv1d: input must be [batch, channels, length], got " + x.shape().str());
  require(w.rank() == 3 && w.dim(1) == x.dim(1),
          "conv1d: weight " + w.shape().str() + " does not fit input " + x.shape().str());
  Conv1dShape s;
  s.batch = x.dim(0);
  s.in_channels = x.dim(1);
  s.in_len = x.dim(2);
  s.out_channels = w.dim(0);
  s.kernel = w.dim(2);
  s.stride = o.stride;
  s.dilation = o.dilation;
  const Extent e = window_extent(s.in_len, s.kernel, s.stride, s.dilation, o.padding, o.pad);
  s.pad_left = e.pad_before;
  s.out_len = e.out;
  return convolution(x, w, b, s.as_2d(), relu, max_pool, false);
}

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dOptions& o, bool relu,
              const PoolOptions* max_pool) {
  require(x.rank() == 4, "conv2d: input must be [batch, channels, height, width], got " + x.shape().str());
  require(w.rank() == 4 && w.dim(1) == x.dim(1),
          "conv2d: weight " + w.shape().str() + " does not fit input " + x.shape().str());
  Conv2dShape s;
  s.batch = x.dim(0);
  s.in_channels = x.dim(1);
  s.in_h = x.dim(2);
  s.in_w = x.dim(3);
  s.out_channels = w.dim(0);
  s.kernel_h = w.dim(2);
  s.kernel_w = w.dim(3);
  s.stride_h = o.stride_h;
  s.stride_w = o.stride_w;
  s.dilation_h = o.dilation_h;
  s.dilation_w = o.dilation_w;
  const Extent eh = window_extent(s.in_h, s.kernel_h, s.stride_h, s.dilation_h, o.padding, o.pad_h);
  const Extent ew = window_extent(s.in_w, s.kernel_w, s.stride_w, s.dilation_w, o.padding, o.pad_w);
  s.pad_top = eh.pad_before;
  s.pad_left = ew.pad_before;
  s.out_h = eh.out;
  s.out_w = ew.out;
  return convolution(x, w, b, s, relu, max_pool, true);
}

}  // namespace ser::nn
