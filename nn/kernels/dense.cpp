#include "nn/kernels/dense.hpp"

namespace ser::nn {

template <typename T>
void dense_forward(const T* x, const T* w, const T* b, T* y, int64_t batch, int64_t in, int64_t out) {
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
void dense_backward(const T* x, const T* w, const T* dy, T* dx, T* dw, T* db, int64_t batch, int64_t in, int64_t out) {
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
  template void dense_forward<T>(const T*, const T*, const T*, T*, int64_t, int64_t, int64_t); \
  template void dense_backward<T>(const T*, const T*, const T*, T*, T*, T*, int64_t, int64_t, int64_t);
SER_INSTANTIATE(float)
SER_INSTANTIATE(double)
#undef SER_INSTANTIATE

}  // namespace ser::nn
