#pragma once
// Element-wise activations and the row-wise softmax. Backward kernels
// accumulate into dx. ReLU's derivative at exactly 0 is taken as 0, as
// PyTorch and TensorFlow do.

#include <cstdint>

namespace ser::nn {

template <typename T>
void relu_forward(const T* x, T* y, int64_t n);
template <typename T>
void relu_backward(const T* x, const T* dy, T* dx, int64_t n);
template <typename T>
void tanh_forward(const T* x, T* y, int64_t n);
template <typename T>
void tanh_backward(const T* y, const T* dy, T* dx, int64_t n);  // from the output
template <typename T>
void sigmoid_forward(const T* x, T* y, int64_t n);
template <typename T>
void sigmoid_backward(const T* y, const T* dy, T* dx, int64_t n);  // from the output
// Softmax over each row of [rows, cols].
template <typename T>
void softmax_forward(const T* x, T* y, int64_t rows, int64_t cols);
template <typename T>
void softmax_backward(const T* y, const T* dy, T* dx, int64_t rows, int64_t cols);

// Inverted dropout with a precomputed per-element scale (0 or 1/(1-p)).
template <typename T>
void scale_forward(const T* x, const T* scale, T* y, int64_t n);
template <typename T>
void scale_backward(const T* scale, const T* dy, T* dx, int64_t n);

}  // namespace ser::nn
