#pragma once
// Batch normalisation over the channel axis of [N, C, S] (S = product of the
// spatial sizes, 1 for [N, C]): y = gamma * (x - mean) / sqrt(var + eps) + beta.
//
// Training uses the batch statistics (biased variance for normalising) and
// backpropagates through them; inference ("frozen") uses given statistics
// as constants. Updating the running statistics is the layer's business.
//
// Each kernel comes twice: the naive twin (any T, one thread, every sum one
// running total) and the fast one (float, `threads`) that the ops use.
// The fast sums take each row of a channel in 64 vector lanes (the fixed
// order of vector_math.hpp's sum_fixed_order), then the rows in order: a
// single running total is one dependent add per value, and made the FER
// batch-norm CNN's first batch norm (64 channels of 48 x 48) cost more than
// the convolution before it. A channel is summed by one thread, and every
// other value is computed per element, so no bit depends on the thread
// count.

#include <cstdint>

#include "nn/kernels/overwrite.hpp"

namespace ser::nn {

struct BatchNormShape {
  int64_t batch = 1, channels = 1, spatial = 1;
};

// Writes y and the per-channel batch mean, biased variance and 1/sqrt(var+eps).
template <typename T>
void batchnorm_train_forward_naive(const T* x, const T* gamma, const T* beta, T* y, T* mean, T* var, T* invstd, T eps,
                             const BatchNormShape& s);
template <typename T>
void batchnorm_train_backward_naive(const T* x, const T* gamma, const T* mean, const T* invstd, const T* dy, T* dx, T* dgamma,
                              T* dbeta, const BatchNormShape& s);

// The pieces of the two above, for a batch cut into shards (data-parallel
// training): every sum over the batch is taken per shard, and the shards'
// sums are added in shard order before they are used. Per channel:
// sums[c] = the sum of x; squares[c] = the sum of (x - mean)^2;
// sum_dy[c] and sum_dy_xhat[c] the sums of dy and dy * xhat.
template <typename T>
void batchnorm_channel_sums_naive(const T* x, const BatchNormShape& s, T* sums);
template <typename T>
void batchnorm_centered_squares_naive(const T* x, const T* mean, const BatchNormShape& s, T* squares);
template <typename T>
void batchnorm_grad_sums_naive(const T* x, const T* mean, const T* invstd, const T* dy, const BatchNormShape& s, T* sum_dy,
                         T* sum_dy_xhat);
// dx += gamma * invstd * (dy - sum_dy / count - xhat * sum_dy_xhat / count),
// count being the whole batch's values per channel.
template <typename T>
void batchnorm_input_grad_naive(const T* x, const T* gamma, const T* mean, const T* invstd, const T* dy, const T* sum_dy,
                          const T* sum_dy_xhat, T count, T* dx, const BatchNormShape& s);

template <typename T>
void batchnorm_frozen_forward_naive(const T* x, const T* gamma, const T* beta, const T* mean, const T* invstd, T* y,
                              const BatchNormShape& s);
template <typename T>
void batchnorm_frozen_backward_naive(const T* x, const T* gamma, const T* mean, const T* invstd, const T* dy, T* dx,
                               T* dgamma, T* dbeta, const BatchNormShape& s);

// The fast twins, same arguments plus the thread count; `overwrite` says
// which gradients are written (=) rather than added to (+=), as for the
// convolutions (a gradient buffer just created is not zeroed first).
void batchnorm_train_forward(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* var,
                             float* invstd, float eps, const BatchNormShape& s, int threads);
void batchnorm_train_backward(const float* x, const float* gamma, const float* mean, const float* invstd,
                              const float* dy, float* dx, float* dgamma, float* dbeta, const BatchNormShape& s,
                              Overwrite overwrite, int threads);
void batchnorm_channel_sums(const float* x, const BatchNormShape& s, float* sums, int threads);
void batchnorm_centered_squares(const float* x, const float* mean, const BatchNormShape& s, float* squares,
                                int threads);
void batchnorm_grad_sums(const float* x, const float* mean, const float* invstd, const float* dy,
                         const BatchNormShape& s, float* sum_dy, float* sum_dy_xhat, int threads);
void batchnorm_input_grad(const float* x, const float* gamma, const float* mean, const float* invstd, const float* dy,
                          const float* sum_dy, const float* sum_dy_xhat, float count, float* dx,
                          const BatchNormShape& s, bool overwrite, int threads);
void batchnorm_frozen_forward(const float* x, const float* gamma, const float* beta, const float* mean,
                              const float* invstd, float* y, const BatchNormShape& s, int threads);
void batchnorm_frozen_backward(const float* x, const float* gamma, const float* mean, const float* invstd,
                               const float* dy, float* dx, float* dgamma, float* dbeta, const BatchNormShape& s,
                               int threads);

}  // namespace ser::nn
