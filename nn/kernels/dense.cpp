#include "nn/kernels/dense.hpp"

#include <algorithm>

#include "nn/kernels/gemm.hpp"

namespace ser::nn {

template <typename T>
void dense_forward_naive(const T* x, const T* w, const T* b, T* y, int64_t batch, int64_t in, int64_t out) {
  for (int64_t n = 0; n < batch; ++n) {
    const T* xn = x + n * in;
    for (int64_t o = 0; o < out; ++o) {
      const T* wo = w + o * in;
      T acc = b ? b[o] : T(0);
      for (int64_t i = 0; i < in; ++i) acc += xn[i] * wo[i];
      y[n * out + o] = acc;
    }
  }
}

template <typename T>
void dense_backward_naive(const T* x, const T* w, const T* dy, T* dx, T* dw, T* db, int64_t batch, int64_t in, int64_t out) {
  for (int64_t n = 0; n < batch; ++n) {
    const T* xn = x + n * in;
    const T* dyn = dy + n * out;
    for (int64_t o = 0; o < out; ++o) {
      const T g = dyn[o];
      if (db) db[o] += g;
      if (dw) {
        T* dwo = dw + o * in;
        for (int64_t i = 0; i < in; ++i) dwo[i] += g * xn[i];
      }
      if (dx) {
        const T* wo = w + o * in;
        T* dxn = dx + n * in;
        for (int64_t i = 0; i < in; ++i) dxn[i] += g * wo[i];
      }
    }
  }
}

#define SER_INSTANTIATE(T)                                                                     \
  template void dense_forward_naive<T>(const T*, const T*, const T*, T*, int64_t, int64_t, int64_t); \
  template void dense_backward_naive<T>(const T*, const T*, const T*, T*, T*, T*, int64_t, int64_t, int64_t);
SER_INSTANTIATE(float)
SER_INSTANTIATE(double)
#undef SER_INSTANTIATE

void dense_forward(const float* x, const float* w, const float* b, float* y, int64_t batch, int64_t in, int64_t out,
                   int threads) {
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t o = 0; o < out; ++o) y[n * out + o] = b ? b[o] : 0.0f;
  sgemm(false, true, batch, out, in, 1.0f, x, in, w, in, 1.0f, y, out, threads);  // y += x w^T
}

void dense_backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db, int64_t batch,
                    int64_t in, int64_t out, Overwrite overwrite, int threads) {
  if (dx) sgemm(false, false, batch, in, out, 1.0f, dy, out, w, in, overwrite.dx ? 0.0f : 1.0f, dx, in, threads);  // dx (+)= dy w
  if (dw) sgemm(true, false, out, in, batch, 1.0f, dy, out, x, in, overwrite.params ? 0.0f : 1.0f, dw, in, threads);  // dw (+)= dy^T x
  if (db) {
    if (overwrite.params) std::fill(db, db + out, 0.0f);
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t o = 0; o < out; ++o) db[o] += dy[n * out + o];
  }
}

}  // namespace ser::nn
