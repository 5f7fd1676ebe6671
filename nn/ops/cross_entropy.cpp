// softmax_cross_entropy, over kernels/cross_entropy.cpp
#include <memory>
#include <stdexcept>
#include <vector>

#include "nn/kernels/cross_entropy.hpp"
#include "nn/ops.hpp"

namespace ser::nn {

Tensor softmax_cross_entropy(const Tensor& logits, std::span<const int32_t> targets,
                             std::span<const float> class_weights, float smoothing) {
  if (!(smoothing >= 0.0f && smoothing < 1.0f))
    throw std::invalid_argument("cross_entropy: label smoothing must be in [0, 1), got " + std::to_string(smoothing));
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
  Tensor loss = make_op_result(Shape{1}, {&logits}, [saved, N, C, smoothing](TensorImpl& r, int threads) {
    cross_entropy_backward(saved->probs.data(), saved->targets.data(),
                           saved->weights.empty() ? nullptr : saved->weights.data(), r.grad->data()[0],
                           r.inputs[0]->grad_data(threads), N, C, smoothing);
  });
  loss.data()[0] = cross_entropy_forward(logits.data(), saved->targets.data(),
                                         saved->weights.empty() ? nullptr : saved->weights.data(), saved->probs.data(),
                                         N, C, smoothing);
  return loss;
}

}  // namespace ser::nn
