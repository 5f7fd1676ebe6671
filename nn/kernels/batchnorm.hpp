#pragma once
// Batch normalisation over the channel axis of [N, C, S] (S = product of the
// spatial sizes, 1 for [N, C]): y = gamma * (x - mean) / sqrt(var + eps) + beta.
//
// Training uses the batch statistics (biased variance for normalising) and
// backpropagates through them; inference ("frozen") uses given statistics
// as constants. Updating the running statistics is the layer's business.

#include <cstdint>

namespace ser::nn {

struct BatchNormShape {
  int64_t batch = 1, channels = 1, spatial = 1;
};

// Writes y and the per-channel batch mean, biased variance and 1/sqrt(var+eps).
template <typename T>
void batchnorm_train_forward(const T* x, const T* gamma, const T* beta, T* y, T* mean, T* var, T* invstd, T eps,
                             const BatchNormShape& s);
template <typename T>
void batchnorm_train_backward(const T* x, const T* gamma, const T* mean, const T* invstd, const T* dy, T* dx, T* dgamma,
                              T* dbeta, const BatchNormShape& s);

// The pieces of the two above, for a batch cut into shards (data-parallel
// training): every sum over the batch is taken per shard, and the shards'
// sums are added in shard order before they are used. Per channel:
// sums[c] = the sum of x; squares[c] = the sum of (x - mean)^2;
// sum_dy[c] and sum_dy_xhat[c] the sums of dy and dy * xhat.
template <typename T>
void batchnorm_channel_sums(const T* x, const BatchNormShape& s, T* sums);
template <typename T>
void batchnorm_centered_squares(const T* x, const T* mean, const BatchNormShape& s, T* squares);
template <typename T>
void batchnorm_grad_sums(const T* x, const T* mean, const T* invstd, const T* dy, const BatchNormShape& s, T* sum_dy,
                         T* sum_dy_xhat);
// dx += gamma * invstd * (dy - sum_dy / count - xhat * sum_dy_xhat / count),
// count being the whole batch's values per channel.
template <typename T>
void batchnorm_input_grad(const T* x, const T* gamma, const T* mean, const T* invstd, const T* dy, const T* sum_dy,
                          const T* sum_dy_xhat, T count, T* dx, const BatchNormShape& s);

template <typename T>
void batchnorm_frozen_forward(const T* x, const T* gamma, const T* beta, const T* mean, const T* invstd, T* y,
                              const BatchNormShape& s);
template <typename T>
void batchnorm_frozen_backward(const T* x, const T* gamma, const T* mean, const T* invstd, const T* dy, T* dx,
                               T* dgamma, T* dbeta, const BatchNormShape& s);

}  // namespace ser::nn
