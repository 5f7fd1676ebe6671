#pragma once
// Differentiable ops on Tensors. Each checks its shapes, runs the fast
// forward kernel of nn/kernels (tested against its naive twin there) and,
// when an input requires gradients, records the matching backward kernel. Layouts are PyTorch's: [N, C, L] and [N, C, H, W].
// Ops whose kernels run on several threads take `threads`, the most they
// may use, and their backward uses the count Tensor::backward is given.
// Ops that sum over the batch take `shards` (data-parallel training,
// nn/step_shards.hpp); null: the whole batch in one piece.

#include <cstdint>
#include <span>

#include "nn/kernels/geometry.hpp"
#include "common/rng.hpp"
#include "nn/step_shards.hpp"
#include "nn/tensor.hpp"

namespace ser::nn {

struct Conv1dOptions {
  int64_t stride = 1, dilation = 1;
  Padding padding = Padding::valid;
  int64_t pad = 0;  // with Padding::explicit_pad, on each side
};
struct Conv2dOptions {
  int64_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  Padding padding = Padding::valid;
  int64_t pad_h = 0, pad_w = 0;
};
struct PoolOptions {
  int64_t pool_h = 1, pool_w = 1, stride_h = 1, stride_w = 1;
  Padding padding = Padding::valid;
};

// x [N, in], w [out, in], b [out] (may be undefined) -> [N, out]
Tensor dense(const Tensor& x, const Tensor& w, const Tensor& b, int threads, StepShards* shards = nullptr);
// x [N, C, L], w [F, C, K], b [F] -> [N, F, L_out]; relu: relu(conv1d(...)) as one op;
// max_pool (with relu): max_pool1d(relu(conv1d(...))) as one op, the convolution's output never stored
Tensor conv1d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv1dOptions& o, bool relu,
              const struct PoolOptions* max_pool, int threads, StepShards* shards = nullptr);
// x [N, C, H, W], w [F, C, KH, KW], b [F] -> [N, F, H_out, W_out]; relu and max_pool as conv1d's
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dOptions& o, bool relu,
              const struct PoolOptions* max_pool, int threads, StepShards* shards = nullptr);

// 1-D pools use pool_w/stride_w on [N, C, L]; 2-D pools use all four on [N, C, H, W].
Tensor max_pool1d(const Tensor& x, const PoolOptions& o, int threads);
Tensor max_pool2d(const Tensor& x, const PoolOptions& o, int threads);
Tensor avg_pool1d(const Tensor& x, const PoolOptions& o);
Tensor avg_pool2d(const Tensor& x, const PoolOptions& o);

Tensor relu(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor softmax(const Tensor& x);  // over the last axis

// Inverted dropout: zeroes each element with probability `rate` and scales
// the rest by 1 / (1 - rate), drawing from `rng`. With shards, x holds this
// rank's rows of the batch and gets their part of the whole batch's mask.
Tensor dropout(const Tensor& x, float rate, Rng& rng, int threads, const StepShards* shards = nullptr);

// Batch normalisation over axis 1 of [N, C, ...] with batch statistics. The
// running statistics are updated in place, Keras convention:
// running = momentum * running + (1 - momentum) * batch (PyTorch's momentum m
// is Keras's 1 - m). The running variance takes the unbiased batch variance
// (as PyTorch; Keras takes the biased one). With shards, the statistics are
// the whole batch's (every rank's rows; nn/step_shards.hpp).
Tensor batch_norm_train(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& running_mean,
                        Tensor& running_var, float momentum, float eps, int threads, StepShards* shards = nullptr);
// With the running statistics as constants (inference, or a frozen layer).
Tensor batch_norm_eval(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& running_mean,
                       const Tensor& running_var, float eps, int threads);

// x [N, T, F] -> [N, T, H] (return_sequences) or [N, H] (last step).
Tensor lstm(const Tensor& x, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b, bool return_sequences,
            int threads, StepShards* shards = nullptr);

// x [N, T, F] -> [N, T, H] or [N, H]; PyTorch's GRU (two biases, gate order r, z, n).
Tensor gru(const Tensor& x, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh,
           bool return_sequences, int threads, StepShards* shards = nullptr);

// Sequences [N, T, F]: reversed in time; one step [N, F]; joined along the
// last axis (any rank, equal leading dimensions).
Tensor reverse_steps(const Tensor& x);
Tensor select_step(const Tensor& x, int64_t step);
Tensor concat_last(const Tensor& a, const Tensor& b);
// [N, C, H, W] -> [N, W, C*H]: a feature map's width (time) as steps.
Tensor to_sequence(const Tensor& x);
// [N, C, ...] -> [N, C]: the mean over everything after the channels.
Tensor global_avg_pool(const Tensor& x);
// [N, T, F] -> [N, 2F]: mean and sqrt(biased variance + eps) over the steps.
Tensor stats_pool(const Tensor& x, float eps, int threads);
// [N, T, F] -> [N, F]: softmax_t(v . tanh(W x_t + b))-weighted sum of the steps.
Tensor attention_pool(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& v, int threads,
                      StepShards* shards = nullptr);

// Mean softmax cross-entropy of logits [N, C] against class indices; with
// class weights, PyTorch's weighted mean. Returns a scalar [1].
// With label_smoothing e, PyTorch's CrossEntropyLoss(label_smoothing=e).
// With shards: logits and targets are this rank's rows, and the loss (and
// its gradient's normaliser) is the whole batch's.
Tensor softmax_cross_entropy(const Tensor& logits, std::span<const int32_t> targets,
                             std::span<const float> class_weights = {}, float label_smoothing = 0.0f,
                             const StepShards* shards = nullptr);

Tensor sum_squares(const Tensor& x);           // scalar sum of x^2 (L2 penalty)
Tensor add(const Tensor& a, const Tensor& b);  // same shapes
Tensor scale(const Tensor& a, float factor);

}  // namespace ser::nn
