// conv1d, conv2d (relu and max pool optionally fused), over kernels/conv.cpp
#include "nn/kernels/conv.hpp"
#include "nn/ops.hpp"
#include "nn/ops/param_grads.hpp"
#include "nn/ops/pool_geometry.hpp"

namespace ser::nn {

using op_detail::param_grads;
using op_detail::ParamGrads;
using op_detail::require;
using op_detail::row_at;
using op_detail::shard_param_grads;

namespace {
// The convolution op for both ranks (1-D is height 1), relu and a max pool
// optionally fused in. `two_d` decides the shapes' rank.
// One shard's rows of a convolution's shape.
Conv2dShape rows_of(Conv2dShape s, const ShardRows& r) {
  s.batch = r.end - r.begin;
  return s;
}

Tensor convolution(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dShape& s, bool relu,
                   const PoolOptions* max_pool, bool two_d, int threads, StepShards* shards) {
  const int64_t x_row = s.in_channels * s.in_h * s.in_w, y_row = s.out_channels * s.out_h * s.out_w;
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
    const int64_t p_row = p.planes * p.out_h * p.out_w;
    Tensor y = make_op_result(shape_of(p.out_h, p.out_w), {&x, &w, &b},
                              [=](TensorImpl& r, int threads) {
      TensorImpl& xi = *r.inputs[0];
      bool dx_fresh = false;
      float* dx = xi.grad_to_write(dx_fresh);
      for (const ShardRows& part : shard_rows(shards, s.batch)) {
        const ParamGrads pg = shard_param_grads(shards, part.shard, *r.inputs[1], has_bias ? r.inputs[2].get() : nullptr);
        conv2d_relu_maxpool_backward(row_at(xi.data->data(), part.begin, x_row), r.inputs[1]->data->data(),
                                     row_at(pooled->data(), part.begin, p_row),
                                     row_at(winners(*argmax), part.begin, p_row), row_at(r.grad->data(), part.begin, p_row),
                                     row_at(dx, part.begin, x_row), pg.dw, pg.db, rows_of(s, part), p,
                                     {.dx = dx_fresh, .params = pg.fresh}, threads);
      }
    }, pooled);
    conv2d_relu_maxpool_forward(x.data(), w.data(), has_bias ? b.data() : nullptr, y.data(), winners(*argmax), s, p, threads);
    return y;
  }
  // With the relu fused, backward needs the output: the closure keeps its
  // buffer (not the output tensor, which would be a cycle).
  auto out = Buffer::uninitialized(s.batch * s.out_channels * s.out_h * s.out_w);
  const std::shared_ptr<Buffer> relu_out = relu ? out : nullptr;
  Tensor y = make_op_result(shape_of(s.out_h, s.out_w), {&x, &w, &b}, [=](TensorImpl& r, int threads) {
    TensorImpl& xi = *r.inputs[0];
    bool dx_fresh = false;
    float* dx = xi.grad_to_write(dx_fresh);
    for (const ShardRows& part : shard_rows(shards, s.batch)) {
      const ParamGrads pg = shard_param_grads(shards, part.shard, *r.inputs[1], has_bias ? r.inputs[2].get() : nullptr);
      conv2d_backward(row_at(xi.data->data(), part.begin, x_row), r.inputs[1]->data->data(),
                      row_at(r.grad->data(), part.begin, y_row), row_at(dx, part.begin, x_row), pg.dw, pg.db,
                      rows_of(s, part), relu_out ? row_at(relu_out->data(), part.begin, y_row) : nullptr,
                      {.dx = dx_fresh, .params = pg.fresh}, threads);
    }
  }, out);
  conv2d_forward(x.data(), w.data(), has_bias ? b.data() : nullptr, y.data(), s, relu, threads);
  return y;
}
}  // namespace

namespace {
// The shapes of a convolution of x [N, C, H, W] by w [F, C, KH, KW].
Conv2dShape conv_shape(const Shape& x, const Shape& w, const Conv2dOptions& o) {
  Conv2dShape s{.batch = x[0], .in_channels = x[1], .in_h = x[2], .in_w = x[3],
                .out_channels = w[0], .kernel_h = w[2], .kernel_w = w[3],
                .stride_h = o.stride_h, .stride_w = o.stride_w,
                .dilation_h = o.dilation_h, .dilation_w = o.dilation_w};
  const Extent eh = window_extent(s.in_h, s.kernel_h, s.stride_h, s.dilation_h, o.padding, o.pad_h);
  const Extent ew = window_extent(s.in_w, s.kernel_w, s.stride_w, s.dilation_w, o.padding, o.pad_w);
  s.pad_top = eh.pad_before;
  s.pad_left = ew.pad_before;
  s.out_h = eh.out;
  s.out_w = ew.out;
  return s;
}
}  // namespace

// A 1-D convolution is the 2-D one at height 1 (kernel, stride and
// dilation 1 and no padding along it).
Tensor conv1d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv1dOptions& o, bool relu,
              const PoolOptions* max_pool, int threads, StepShards* shards) {
  require(x.rank() == 3, "conv1d: input must be [batch, channels, length], got " + x.shape().str());
  require(w.rank() == 3 && w.dim(1) == x.dim(1),
          "conv1d: weight " + w.shape().str() + " does not fit input " + x.shape().str());
  const Conv2dOptions o2{.stride_w = o.stride, .dilation_w = o.dilation, .padding = o.padding, .pad_w = o.pad};
  const Conv2dShape s = conv_shape(Shape{x.dim(0), x.dim(1), 1, x.dim(2)}, Shape{w.dim(0), w.dim(1), 1, w.dim(2)}, o2);
  return convolution(x, w, b, s, relu, max_pool, false, threads, shards);
}

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dOptions& o, bool relu,
              const PoolOptions* max_pool, int threads, StepShards* shards) {
  require(x.rank() == 4, "conv2d: input must be [batch, channels, height, width], got " + x.shape().str());
  require(w.rank() == 4 && w.dim(1) == x.dim(1),
          "conv2d: weight " + w.shape().str() + " does not fit input " + x.shape().str());
  return convolution(x, w, b, conv_shape(x.shape(), w.shape(), o), relu, max_pool, true, threads, shards);
}

}  // namespace ser::nn
