// softmax_cross_entropy, over kernels/cross_entropy.cpp
#include <memory>
#include <stdexcept>
#include <vector>

#include "nn/kernels/cross_entropy.hpp"
#include "nn/ops.hpp"

namespace ser::nn {

Tensor softmax_cross_entropy(const Tensor& logits, std::span<const int32_t> targets,
                             std::span<const float> class_weights, float smoothing, const StepShards* shards) {
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
    float total_weight = 0;  // the whole batch's targets' weight
  };
  auto saved = std::make_shared<Saved>();
  saved->targets.assign(targets.begin(), targets.end());
  saved->weights.assign(class_weights.begin(), class_weights.end());
  saved->probs.resize(static_cast<size_t>(N * C));
  const float* weights = saved->weights.empty() ? nullptr : saved->weights.data();
  Tensor loss = make_op_result(Shape{1}, {&logits}, [saved, weights, N, C, smoothing](TensorImpl& r, int threads) {
    cross_entropy_backward_rows(saved->probs.data(), saved->targets.data(), weights, r.grad->data()[0],
                                saved->total_weight, r.inputs[0]->grad_data(threads), N, C, smoothing);
  });
  // Per shard: the sums of its rows; the shards' sums added in shard order.
  const auto parts = shard_rows(shards, N);
  constexpr int64_t W = CrossEntropySums::kWidth;
  std::vector<float> partials(parts.size() * W);
  for (size_t k = 0; k < parts.size(); ++k)
    cross_entropy_sums(logits.data() + parts[k].begin * C, saved->targets.data() + parts[k].begin, weights,
                       saved->probs.data() + parts[k].begin * C, parts[k].end - parts[k].begin, C, smoothing,
                       partials.data() + static_cast<int64_t>(k) * W);
  const std::vector<float> sums = shards && shards->count() > 1 ? shards->fold(partials, W) : partials;
  saved->total_weight = sums[2];
  loss.data()[0] = cross_entropy_of_sums(sums.data(), C, smoothing);
  return loss;
}

}  // namespace ser::nn
