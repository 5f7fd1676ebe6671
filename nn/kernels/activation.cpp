#include "nn/kernels/activation.hpp"

#include <algorithm>
#include <cmath>

#include "nn/kernels/scratch.hpp"

namespace ser::nn {

template <typename T>
void relu_forward(const T* x, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : T(0);
}
template <typename T>
void relu_backward(const T* x, const T* dy, T* dx, int64_t n, bool overwrite) {
  if (overwrite)
    for (int64_t i = 0; i < n; ++i) dx[i] = x[i] > T(0) ? dy[i] : T(0);
  else
    for (int64_t i = 0; i < n; ++i) dx[i] += x[i] > T(0) ? dy[i] : T(0);
}
template <typename T>
void tanh_forward(const T* x, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}
template <typename T>
void tanh_backward(const T* y, const T* dy, T* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dx[i] += dy[i] * (T(1) - y[i] * y[i]);
}
template <typename T>
void sigmoid_forward(const T* x, T* y, int64_t n) {
  // Written so that neither branch overflows exp().
  for (int64_t i = 0; i < n; ++i) {
    if (x[i] >= T(0)) {
      y[i] = T(1) / (T(1) + std::exp(-x[i]));
    } else {
      const T e = std::exp(x[i]);
      y[i] = e / (T(1) + e);
    }
  }
}
template <typename T>
void sigmoid_backward(const T* y, const T* dy, T* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dx[i] += dy[i] * y[i] * (T(1) - y[i]);
}

template <typename T>
void softmax_forward(const T* x, T* y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * cols;
    T* yr = y + r * cols;
    const T m = *std::max_element(xr, xr + cols);
    T sum = 0;
    for (int64_t c = 0; c < cols; ++c) sum += (yr[c] = std::exp(xr[c] - m));
    for (int64_t c = 0; c < cols; ++c) yr[c] /= sum;
  }
}
template <typename T>
void softmax_backward(const T* y, const T* dy, T* dx, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* yr = y + r * cols;
    const T* gr = dy + r * cols;
    T dot = 0;
    for (int64_t c = 0; c < cols; ++c) dot += yr[c] * gr[c];
    for (int64_t c = 0; c < cols; ++c) dx[r * cols + c] += yr[c] * (gr[c] - dot);
  }
}

template <typename T>
void scale_forward(const T* x, const T* scale, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale[i];
}
template <typename T>
void scale_backward(const T* scale, const T* dy, T* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dx[i] += dy[i] * scale[i];
}

void dropout_mask(uint64_t key, float rate, float* keep, int64_t n, int threads, int64_t first) {
  const float kept = 1.0f / (1.0f - rate);
  // Captured by value: through references GCC reloads rate and kept after
  // every store to keep (they might alias) and neither vectorises nor drops
  // the branch.
  for_element_ranges(n, 1 << 16, threads, [key, rate, kept, keep, first](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      uint64_t z = key + static_cast<uint64_t>(first + i + 1) * 0x9e3779b97f4a7c15ULL;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      z ^= z >> 31;
      const float u = static_cast<float>(static_cast<int32_t>(z >> 40)) * (1.0f / 16777216.0f);
      keep[i] = u >= rate ? kept : 0.0f;
    }
  });
}

#define SER_INSTANTIATE(T)                                                     \
  template void relu_forward<T>(const T*, T*, int64_t);                        \
  template void relu_backward<T>(const T*, const T*, T*, int64_t, bool);       \
  template void tanh_forward<T>(const T*, T*, int64_t);                        \
  template void tanh_backward<T>(const T*, const T*, T*, int64_t);             \
  template void sigmoid_forward<T>(const T*, T*, int64_t);                     \
  template void sigmoid_backward<T>(const T*, const T*, T*, int64_t);          \
  template void softmax_forward<T>(const T*, T*, int64_t, int64_t);            \
  template void softmax_backward<T>(const T*, const T*, T*, int64_t, int64_t); \
  template void scale_forward<T>(const T*, const T*, T*, int64_t);             \
  template void scale_backward<T>(const T*, const T*, T*, int64_t);
SER_INSTANTIATE(float)
SER_INSTANTIATE(double)
#undef SER_INSTANTIATE

}  // namespace ser::nn
