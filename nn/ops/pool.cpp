// max_pool1d/2d, avg_pool1d/2d
#include "nn/kernels/pool.hpp"

#include <memory>
#include <stdexcept>
#include <vector>

#include "nn/ops.hpp"
#include "nn/ops/pool_geometry.hpp"

namespace ser::nn {

Pool2dShape pool_geometry(int64_t planes, int64_t in_h, int64_t in_w, const PoolOptions& o, bool two_d) {
  Pool2dShape s;
  s.planes = planes;
  s.in_h = two_d ? in_h : 1;
  s.in_w = in_w;
  s.pool_h = two_d ? o.pool_h : 1;
  s.stride_h = two_d ? o.stride_h : 1;
  s.pool_w = o.pool_w;
  s.stride_w = o.stride_w;
  const Extent eh = window_extent(s.in_h, s.pool_h, s.stride_h, 1, o.padding);
  const Extent ew = window_extent(s.in_w, s.pool_w, s.stride_w, 1, o.padding);
  s.pad_top = eh.pad_before;
  s.pad_left = ew.pad_before;
  s.out_h = eh.out;
  s.out_w = ew.out;
  return s;
}

namespace {
Pool2dShape pool_shape(const Tensor& x, const PoolOptions& o, bool two_d, const char* op) {
  const int want = two_d ? 4 : 3;
  if (x.rank() != want)
    throw std::invalid_argument(std::string(op) + ": input must be " +
                                (two_d ? "[batch, channels, height, width]" : "[batch, channels, length]") + ", got " +
                                x.shape().str());
  return pool_geometry(x.dim(0) * x.dim(1), two_d ? x.dim(2) : 1, x.dim(want - 1), o, two_d);
}

Shape pooled(const Tensor& x, const Pool2dShape& s, bool two_d) {
  return two_d ? Shape{x.dim(0), x.dim(1), s.out_h, s.out_w} : Shape{x.dim(0), x.dim(1), s.out_w};
}

Tensor max_pool(const Tensor& x, const PoolOptions& o, bool two_d, int threads) {
  const Pool2dShape s = pool_shape(x, o, two_d, two_d ? "max_pool2d" : "max_pool1d");
  // The winners' indices live in a pooled float buffer (int32 and float have one size).
  static_assert(sizeof(int32_t) == sizeof(float));
  auto argmax = Buffer::uninitialized(s.planes * s.out_h * s.out_w);
  auto winners = [](Buffer& b) { return reinterpret_cast<int32_t*>(b.data()); };
  Tensor y = make_op_result(
      pooled(x, s, two_d), {&x},
      [s, argmax, winners](TensorImpl& r, int threads) {
        bool overwrite = false;
        float* dx = r.inputs[0]->grad_to_write(overwrite);
        if (dx) maxpool2d_backward(winners(*argmax), r.grad->data(), dx, s, overwrite, threads);
      },
      Buffer::uninitialized(s.planes * s.out_h * s.out_w));
  maxpool2d_forward(x.data(), y.data(), winners(*argmax), s, threads);
  return y;
}

Tensor avg_pool(const Tensor& x, const PoolOptions& o, bool two_d) {
  const Pool2dShape s = pool_shape(x, o, two_d, two_d ? "avg_pool2d" : "avg_pool1d");
  Tensor y = make_op_result(pooled(x, s, two_d), {&x},
                            [s](TensorImpl& r, int threads) { avgpool2d_backward_naive(r.grad->data(), r.inputs[0]->grad_data(threads), s); });
  avgpool2d_forward_naive(x.data(), y.data(), s);  // no published model pools by average: the naive kernel serves
  return y;
}
}  // namespace

Tensor max_pool1d(const Tensor& x, const PoolOptions& o, int threads) { return max_pool(x, o, false, threads); }
Tensor max_pool2d(const Tensor& x, const PoolOptions& o, int threads) { return max_pool(x, o, true, threads); }
Tensor avg_pool1d(const Tensor& x, const PoolOptions& o) { return avg_pool(x, o, false); }
Tensor avg_pool2d(const Tensor& x, const PoolOptions& o) { return avg_pool(x, o, true); }

}  // namespace ser::nn
