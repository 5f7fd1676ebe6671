#pragma once
// Dense (fully connected): y[n, o] = b[o] + sum_i x[n, i] * w[o, i].
// Weight layout [out, in] as PyTorch's Linear. Backward kernels accumulate
// (+=) into the gradients; a null gradient pointer means "not needed".

#include <cstdint>

#include "nn/kernels/overwrite.hpp"

namespace ser::nn {

template <typename T>
void dense_forward_naive(const T* x, const T* w, const T* b, T* y, int64_t batch, int64_t in, int64_t out);

template <typename T>
void dense_backward_naive(const T* x, const T* w, const T* dy, T* dx, T* dw, T* db, int64_t batch, int64_t in, int64_t out);

// The same on our sgemm: what the ops use. Tested against the naive twin.
// overwrite: which gradients are written instead of added to.
void dense_forward(const float* x, const float* w, const float* b, float* y, int64_t batch, int64_t in, int64_t out,
                   int threads);
void dense_backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db, int64_t batch,
                    int64_t in, int64_t out, Overwrite overwrite, int threads);

}  // namespace ser::nn
