// relu, tanh, sigmoid, softmax, dropout
#include "nn/kernels/activation.hpp"

#include <memory>
#include <stdexcept>
#include <vector>

#include "nn/kernels/scratch.hpp"
#include "nn/ops.hpp"

namespace ser::nn {

Tensor relu(const Tensor& x) {
  Tensor y = make_op_result(x.shape(), {&x}, [](TensorImpl& r, int threads) {
    TensorImpl& in = *r.inputs[0];
    // Written, not added, into a gradient just created (no zeroing pass
    // first), and split over the threads: element-wise, so no bit changes.
    bool fresh = false;
    float* dx = in.grad_to_write(fresh);
    if (!dx) return;
    const float *xd = in.data->data(), *dy = r.grad->data();
    for_element_ranges(r.shape.numel(), 1 << 16, threads, [&](int64_t lo, int64_t hi) {
      relu_backward(xd + lo, dy + lo, dx + lo, hi - lo, fresh);
    });
  }, Buffer::uninitialized(x.numel()));
  relu_forward(x.data(), y.data(), x.numel());
  return y;
}

namespace {
// An op whose gradient comes from its output (tanh, sigmoid, softmax): the
// closure keeps the output's buffer, not the output tensor, which would be
// a cycle. forward(x, y) writes every element of y; backward(y, dy, dx)
// adds to dx.
template <class Forward, class Backward>
Tensor differentiated_from_output(const Tensor& x, Forward forward, Backward backward) {
  auto out = Buffer::uninitialized(x.numel());
  Tensor y = make_op_result(x.shape(), {&x}, [out, backward](TensorImpl& r, int threads) {
    backward(out->data(), r.grad->data(), r.inputs[0]->grad_data(threads));
  }, out);
  forward(x.data(), y.data());
  return y;
}
}  // namespace

Tensor tanh(const Tensor& x) {
  const int64_t n = x.numel();
  return differentiated_from_output(
      x, [n](const float* in, float* y) { tanh_forward(in, y, n); },
      [n](const float* y, const float* dy, float* dx) { tanh_backward(y, dy, dx, n); });
}

Tensor sigmoid(const Tensor& x) {
  const int64_t n = x.numel();
  return differentiated_from_output(
      x, [n](const float* in, float* y) { sigmoid_forward(in, y, n); },
      [n](const float* y, const float* dy, float* dx) { sigmoid_backward(y, dy, dx, n); });
}

Tensor softmax(const Tensor& x) {
  if (x.rank() < 1) throw std::invalid_argument("softmax: needs at least one axis");
  const int64_t cols = x.shape().back(), rows = x.numel() / cols;
  return differentiated_from_output(
      x, [rows, cols](const float* in, float* y) { softmax_forward(in, y, rows, cols); },
      [rows, cols](const float* y, const float* dy, float* dx) { softmax_backward(y, dy, dx, rows, cols); });
}

Tensor dropout(const Tensor& x, float rate, Rng& rng, int threads, const StepShards* shards) {
  if (!(rate >= 0.0f && rate < 1.0f)) throw std::invalid_argument("dropout: rate must be in [0, 1)");
  const int64_t n = x.numel();
  std::shared_ptr<Buffer> keep = Buffer::uninitialized(n);
  // The mask is a function of the element's place in the whole batch: a
  // rank's rows get their part of the one-process mask.
  const int64_t first = shards && x.dim(0) > 0 ? shards->local_begin() * (n / x.dim(0)) : 0;
  dropout_mask(rng.next_u64(), rate, keep->data(), n, threads, first);
  Tensor y = make_op_result(x.shape(), {&x}, [keep](TensorImpl& r, int threads) {
    scale_backward(keep->data(), r.grad->data(), r.inputs[0]->grad_data(threads), r.shape.numel());
  }, Buffer::uninitialized(n));
  scale_forward(x.data(), keep->data(), y.data(), n);
  return y;
}

}  // namespace ser::nn
