#pragma once
// Element-wise activations and the row-wise softmax. Backward kernels
// accumulate into dx. ReLU's derivative at exactly 0 is taken as 0, as
// PyTorch and TensorFlow do.

#include <cstdint>

namespace ser::nn {

template <typename T>
void relu_forward(const T* x, T* y, int64_t n);
// overwrite: dx = the gradient rather than dx += it (a buffer just created).
template <typename T>
void relu_backward(const T* x, const T* dy, T* dx, int64_t n, bool overwrite = false);
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

// Inverted dropout's per-element scale: 1 / (1 - rate) with probability
// 1 - rate, else 0. Element i's draw is a hash of (key, i) (SplitMix64's
// finaliser over a Weyl sequence, top 24 bits as a float in [0, 1)), not the
// next number of a sequential generator: every element is independent, so
// the loop vectorises and splits over threads with the same result. The
// layer takes one key per call from its seeded Rng, so runs and resumed
// runs repeat. A sequential xoshiro draw per element was 8 ns each, 3% of a
// TESS CNN training step with the other thread idle.
void dropout_mask(uint64_t key, float rate, float* keep, int64_t n, int threads, int64_t first = 0);

// Inverted dropout with a precomputed per-element scale (0 or 1/(1-p)).
template <typename T>
void scale_forward(const T* x, const T* scale, T* y, int64_t n);
template <typename T>
void scale_backward(const T* scale, const T* dy, T* dx, int64_t n);

}  // namespace ser::nn
