// relu, tanh, sigmoid, softmax, dropout
#include "nn/kernels/activation.hpp"

#include <memory>
#include <stdexcept>
#include <vector>

#include "nn/ops.hpp"

namespace ser::nn {

Tensor relu(const Tensor& x) {
  Tensor y = make_op_result(x.shape(), {&x}, [](TensorImpl& r) {
    TensorImpl& in = *r.inputs[0];
    relu_backward(in.data->data(), r.grad->data(), in.grad_data(), r.shape.numel());
  }, Buffer::uninitialized(x.numel()));
  relu_forward(x.data(), y.data(), x.numel());
  return y;
}

// tanh and sigmoid differentiate from their output, so the closure keeps
// the output's data buffer (not the output itself, which would be a cycle).
Tensor tanh(const Tensor& x) {
  auto out = std::make_shared<Buffer>(x.numel());
  Tensor y = make_op_result(
      x.shape(), {&x},
      [out](TensorImpl& r) { tanh_backward(out->data(), r.grad->data(), r.inputs[0]->grad_data(), r.shape.numel()); },
      out);
  tanh_forward(x.data(), y.data(), x.numel());
  return y;
}

Tensor sigmoid(const Tensor& x) {
  auto out = std::make_shared<Buffer>(x.numel());
  Tensor y = make_op_result(
      x.shape(), {&x},
      [out](TensorImpl& r) {
        sigmoid_backward(out->data(), r.grad->data(), r.inputs[0]->grad_data(), r.shape.numel());
      },
      out);
  sigmoid_forward(x.data(), y.data(), x.numel());
  return y;
}

Tensor softmax(const Tensor& x) {
  if (x.rank() < 1) throw std::invalid_argument("softmax: needs at least one axis");
  const int64_t cols = x.shape().back(), rows = x.numel() / cols;
  auto out = std::make_shared<Buffer>(x.numel());
  Tensor y = make_op_result(
      x.shape(), {&x},
      [out, rows, cols](TensorImpl& r) {
        softmax_backward(out->data(), r.grad->data(), r.inputs[0]->grad_data(), rows, cols);
      },
      out);
  softmax_forward(x.data(), y.data(), rows, cols);
  return y;
}

Tensor dropout(const Tensor& x, float rate, Rng& rng) {
  if (!(rate >= 0.0f && rate < 1.0f)) throw std::invalid_argument("dropout: rate must be in [0, 1)");
  const int64_t n = x.numel();
  std::shared_ptr<Buffer> keep = Buffer::uninitialized(n);
  dropout_mask(rng.next_u64(), rate, keep->data(), n);
  Tensor y = make_op_result(x.shape(), {&x}, [keep](TensorImpl& r) {
    scale_backward(keep->data(), r.grad->data(), r.inputs[0]->grad_data(), r.shape.numel());
  }, Buffer::uninitialized(n));
  scale_forward(x.data(), keep->data(), y.data(), n);
  return y;
}

}  // namespace ser::nn
