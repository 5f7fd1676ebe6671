#pragma once
// One optimisation step and batched evaluation: the loop every trainer
// (the demo, the tests, the experiment runner) is built on.

#include <cstdint>
#include <span>
#include <vector>

#include "nn/optim/optimizer.hpp"
#include "nn/sequential.hpp"

namespace ser::nn {

struct StepResult {
  float loss = 0;  // cross-entropy plus any L2 penalty
  int64_t correct = 0;
};

struct StepOptions {
  std::span<const float> class_weights;  // per class, as PyTorch's weight; empty: all 1
  float clip_norm = 0;                   // > 0: gradients scaled to at most this global L2 norm
  float label_smoothing = 0;             // as PyTorch's
  // mixup: the batch was blended, mix_weight of each row with (1 - mix_weight)
  // of row mix_partner[i]; the loss is mix_weight CE(targets) +
  // (1 - mix_weight) CE(targets[mix_partner]). Empty: no mixing.
  std::span<const int64_t> mix_partner;
  float mix_weight = 1;
  // Data-parallel training (nn/step_shards.hpp): x and targets are the
  // whole batch; this rank computes on its shards' rows, the gradients are
  // folded over every rank's shards, and every rank takes the same step.
  // The step starts the shards' step (StepShards::start). Null: the whole
  // batch in one piece.
  StepShards* shards = nullptr;
};

// Forward in training mode, softmax cross-entropy (+ the layers' L2
// penalties), backward, optimizer step. `rng` drives dropout. Every part of
// the step runs on up to `threads` threads. `correct` counts predictions of
// `targets` (with mixup, of each row's own label), over the whole batch.
StepResult train_step(Sequential& model, Optimizer& opt, const Tensor& x, std::span<const int32_t> targets, Rng& rng,
                      int threads, const StepOptions& options = {});

// Index of the largest value of each row of [N, C].
std::vector<int32_t> argmax_rows(const Tensor& scores);

// Copies rows `rows` of a [N, ...] array into a new [rows.size(), ...] tensor.
Tensor gather_rows(std::span<const float> data, const Shape& sample_shape, std::span<const int64_t> rows);

}  // namespace ser::nn
