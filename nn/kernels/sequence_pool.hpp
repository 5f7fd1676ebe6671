#pragma once
// Pooling a sequence x [N, T, F] over its steps into one vector per sample.
//
// Statistics pooling (x-vectors): the mean and the standard deviation of
// every feature, y [N, 2F] = [mean, sqrt(var + eps)], var the biased
// (population) variance; eps keeps the gradient finite on constant features.
//
// Attention pooling (Mirsamadi et al. 2017): a score per step from a small
// tanh layer, softmax over the steps, the weighted sum of the steps:
//   a_t = tanh(W x_t + b)   W [U, F], b [U]
//   e_t = v . a_t           v [U]
//   alpha = softmax_t(e),  y = sum_t alpha_t x_t   [N, F]

#include <cstdint>

namespace ser::nn {

struct SequencePoolShape {
  int64_t batch = 1, steps = 1, features = 1;
  int64_t units = 1;  // attention: the tanh layer's width
};

template <typename T>
void stats_pool_forward_naive(const T* x, T* y, const SequencePoolShape& s, T eps);
template <typename T>
void stats_pool_backward_naive(const T* x, const T* y, const T* dy, T* dx, const SequencePoolShape& s);
// The same, vectorised over features (sums in the same order: step by step).
void stats_pool_forward(const float* x, float* y, const SequencePoolShape& s, float eps, int threads);
void stats_pool_backward(const float* x, const float* y, const float* dy, float* dx, const SequencePoolShape& s,
                         int threads);

// Writes y [N, F] and keeps a [N, T, U] and alpha [N, T] for backward.
template <typename T>
void attention_pool_forward_naive(const T* x, const T* w, const T* b, const T* v, T* y, T* a, T* alpha,
                                  const SequencePoolShape& s);
// Accumulates into dx, dw, db, dv (any may be null).
template <typename T>
void attention_pool_backward_naive(const T* x, const T* w, const T* v, const T* a, const T* alpha, const T* dy, T* dx,
                                   T* dw, T* db, T* dv, const SequencePoolShape& s);
// The same with the projections as GEMMs over all steps of the batch.
void attention_pool_forward(const float* x, const float* w, const float* b, const float* v, float* y, float* a,
                            float* alpha, const SequencePoolShape& s, int threads);
void attention_pool_backward(const float* x, const float* w, const float* v, const float* a, const float* alpha,
                             const float* dy, float* dx, float* dw, float* db, float* dv, const SequencePoolShape& s,
                             int threads);

}  // namespace ser::nn
