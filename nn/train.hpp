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

// Forward in training mode, softmax cross-entropy (+ the layers' L2
// penalties), backward, optimizer step. `rng` drives dropout. With
// clip_norm > 0 the gradients are scaled to at most that global L2 norm;
// label_smoothing as PyTorch's. Every part of the step runs on up to
// `threads` threads.
StepResult train_step(Sequential& model, Optimizer& opt, const Tensor& x, std::span<const int32_t> targets, Rng& rng,
                      int threads, std::span<const float> class_weights = {}, float clip_norm = 0.0f,
                      float label_smoothing = 0.0f);

// Index of the largest value of each row of [N, C].
std::vector<int32_t> argmax_rows(const Tensor& scores);

// Copies rows `rows` of a [N, ...] array into a new [rows.size(), ...] tensor.
Tensor gather_rows(std::span<const float> data, const Shape& sample_shape, std::span<const int64_t> rows);

}  // namespace ser::nn
