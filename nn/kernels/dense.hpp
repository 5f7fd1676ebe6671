#pragma once
// Dense (fully connected): y[n, o] = b[o] + sum_i x[n, i] * w[o, i].
// Weight layout [out, in] as PyTorch's Linear. Backward kernels accumulate
// (+=) into the gradients; a null gradient pointer means "not needed".

#include <cstdint>

namespace ser::nn {

template <typename T>
void dense_forward(const T* x, const T* w, const T* b, T* y, int64_t batch, int64_t in, int64_t out);

template <typename T>
void dense_backward(const T* x, const T* w, const T* dy, T* dx, T* dw, T* db, int64_t batch, int64_t in, int64_t out);

}  // namespace ser::nn
