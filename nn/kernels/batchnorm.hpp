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

template <typename T>
void batchnorm_frozen_forward(const T* x, const T* gamma, const T* beta, const T* mean, const T* invstd, T* y,
                              const BatchNormShape& s);
template <typename T>
void batchnorm_frozen_backward(const T* x, const T* gamma, const T* mean, const T* invstd, const T* dy, T* dx,
                               T* dgamma, T* dbeta, const BatchNormShape& s);

}  // namespace ser::nn
