// sum_squares, add, scale: the small element-wise ops of the loss's L2 penalties
#include <memory>
#include <stdexcept>
#include <vector>

#include "nn/ops.hpp"

namespace ser::nn {

Tensor sum_squares(const Tensor& x) {
  Tensor y = make_op_result(Shape{1}, {&x}, [](TensorImpl& r, int threads) {
    TensorImpl& in = *r.inputs[0];
    const float g = 2.0f * r.grad->data()[0];
    const float* xv = in.data->data();
    float* dx = in.grad_data(threads);
    for (int64_t i = 0, n = in.shape.numel(); i < n; ++i) dx[i] += g * xv[i];
  });
  double acc = 0;
  for (float v : x.values()) acc += static_cast<double>(v) * v;
  y.data()[0] = static_cast<float>(acc);
  return y;
}

Tensor add(const Tensor& a, const Tensor& b) {
  if (!(a.shape() == b.shape()))
    throw std::invalid_argument("add: shapes " + a.shape().str() + " and " + b.shape().str() + " differ");
  Tensor y = make_op_result(a.shape(), {&a, &b}, [](TensorImpl& r, int threads) {
    const float* g = r.grad->data();
    for (auto& in : r.inputs) {
      if (!in->requires_grad) continue;
      float* d = in->grad_data(threads);
      for (int64_t i = 0, n = r.shape.numel(); i < n; ++i) d[i] += g[i];
    }
  });
  for (int64_t i = 0, n = a.numel(); i < n; ++i) y.data()[i] = a.data()[i] + b.data()[i];
  return y;
}

Tensor scale(const Tensor& a, float factor) {
  Tensor y = make_op_result(a.shape(), {&a}, [factor](TensorImpl& r, int threads) {
    const float* g = r.grad->data();
    float* d = r.inputs[0]->grad_data(threads);
    for (int64_t i = 0, n = r.shape.numel(); i < n; ++i) d[i] += factor * g[i];
  });
  for (int64_t i = 0, n = a.numel(); i < n; ++i) y.data()[i] = factor * a.data()[i];
  return y;
}

}  // namespace ser::nn
