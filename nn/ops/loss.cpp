// softmax_cross_entropy, sum_squares, add, scale
#include <memory>
#include <stdexcept>
#include <vector>

#include "nn/kernels/cross_entropy.hpp"
#include "nn/ops.hpp"

namespace ser::nn {

Tensor softmax_cross_entropy(const Tensor& logits, std::span<const int32_t> targets,
                             std::span<const float> class_weights) {
  if (logits.rank() != 2)
    throw std::invalid_argument("cross_entropy: logits must be [batch, classes], got " + logits.shape().str());
  const int64_t N = logits.dim(0), C = logits.dim(1);
  if (static_cast<int64_t>(targets.size()) != N)
    throw std::invalid_argument("cross_entropy: " + std::to_string(targets.size()) + " targets for a batch of " +
                                std::to_string(N));
  for (int32_t t : targets)
    if (t < 0 || t >= C)
      throw std::invalid_argument("cross_entropy: target " + std::to_string(t) + " is not a class index in [0, " +
                                  std::to_string(C) + ")");
  if (!class_weights.empty() && static_cast<int64_t>(class_weights.size()) != C)
    throw std::invalid_argument("cross_entropy: " + std::to_string(class_weights.size()) + " class weights for " +
                                std::to_string(C) + " classes");
  struct Saved {
    std::vector<int32_t> targets;
    std::vector<float> weights, probs;
  };
  auto saved = std::make_shared<Saved>();
  saved->targets.assign(targets.begin(), targets.end());
  saved->weights.assign(class_weights.begin(), class_weights.end());
  saved->probs.resize(static_cast<size_t>(N * C));
  Tensor loss = make_op_result(Shape{1}, {&logits}, [saved, N, C](TensorImpl& r) {
    cross_entropy_backward(saved->probs.data(), saved->targets.data(),
                           saved->weights.empty() ? nullptr : saved->weights.data(), r.grad->data()[0],
                           r.inputs[0]->grad_data(), N, C);
  });
  loss.data()[0] =
      cross_entropy_forward(logits.data(), saved->targets.data(),
                            saved->weights.empty() ? nullptr : saved->weights.data(), saved->probs.data(), N, C);
  return loss;
}

Tensor sum_squares(const Tensor& x) {
  Tensor y = make_op_result(Shape{1}, {&x}, [](TensorImpl& r) {
    TensorImpl& in = *r.inputs[0];
    const float g = 2.0f * r.grad->data()[0];
    const float* xv = in.data->data();
    float* dx = in.grad_data();
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
  Tensor y = make_op_result(a.shape(), {&a, &b}, [](TensorImpl& r) {
    const float* g = r.grad->data();
    for (auto& in : r.inputs) {
      if (!in->requires_grad) continue;
      float* d = in->grad_data();
      for (int64_t i = 0, n = r.shape.numel(); i < n; ++i) d[i] += g[i];
    }
  });
  for (int64_t i = 0, n = a.numel(); i < n; ++i) y.data()[i] = a.data()[i] + b.data()[i];
  return y;
}

Tensor scale(const Tensor& a, float factor) {
  Tensor y = make_op_result(a.shape(), {&a}, [factor](TensorImpl& r) {
    const float* g = r.grad->data();
    float* d = r.inputs[0]->grad_data();
    for (int64_t i = 0, n = r.shape.numel(); i < n; ++i) d[i] += factor * g[i];
  });
  for (int64_t i = 0, n = a.numel(); i < n; ++i) y.data()[i] = factor * a.data()[i];
  return y;
}

}  // namespace ser::nn
