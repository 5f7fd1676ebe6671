#include "nn/kernels/batchnorm.hpp"

#include <cmath>

namespace ser::nn {

namespace {
// Visits every element of channel c: f(index).
template <typename F>
void for_channel(const BatchNormShape& s, int64_t c, F&& f) {
  for (int64_t n = 0; n < s.batch; ++n) {
    const int64_t base = (n * s.channels + c) * s.spatial;
    for (int64_t i = 0; i < s.spatial; ++i) f(base + i);
  }
}
}  // namespace

template <typename T>
void batchnorm_train_forward(const T* x, const T* gamma, const T* beta, T* y, T* mean, T* var, T* invstd, T eps,
                             const BatchNormShape& s) {
  const T count = T(s.batch * s.spatial);
  for (int64_t c = 0; c < s.channels; ++c) {
    T sum = 0;
    for_channel(s, c, [&](int64_t i) { sum += x[i]; });
    const T m = sum / count;
    T sq = 0;  // two passes: no catastrophic cancellation
    for_channel(s, c, [&](int64_t i) { sq += (x[i] - m) * (x[i] - m); });
    const T v = sq / count;
    const T inv = T(1) / std::sqrt(v + eps);
    mean[c] = m;
    var[c] = v;
    invstd[c] = inv;
    for_channel(s, c, [&](int64_t i) { y[i] = gamma[c] * (x[i] - m) * inv + beta[c]; });
  }
}

template <typename T>
void batchnorm_train_backward(const T* x, const T* gamma, const T* mean, const T* invstd, const T* dy, T* dx, T* dgamma,
                              T* dbeta, const BatchNormShape& s) {
  const T count = T(s.batch * s.spatial);
  for (int64_t c = 0; c < s.channels; ++c) {
    const T m = mean[c], inv = invstd[c];
    T sum_dy = 0, sum_dy_xhat = 0;
    for_channel(s, c, [&](int64_t i) {
      sum_dy += dy[i];
      sum_dy_xhat += dy[i] * (x[i] - m) * inv;
    });
    if (dgamma) dgamma[c] += sum_dy_xhat;
    if (dbeta) dbeta[c] += sum_dy;
    if (dx) {
      // dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat))
      const T k = gamma[c] * inv;
      for_channel(s, c, [&](int64_t i) {
        const T xhat = (x[i] - m) * inv;
        dx[i] += k * (dy[i] - sum_dy / count - xhat * sum_dy_xhat / count);
      });
    }
  }
}

template <typename T>
void batchnorm_frozen_forward(const T* x, const T* gamma, const T* beta, const T* mean, const T* invstd, T* y,
                              const BatchNormShape& s) {
  for (int64_t c = 0; c < s.channels; ++c)
    for_channel(s, c, [&](int64_t i) { y[i] = gamma[c] * (x[i] - mean[c]) * invstd[c] + beta[c]; });
}

template <typename T>
void batchnorm_frozen_backward(const T* x, const T* gamma, const T* mean, const T* invstd, const T* dy, T* dx,
                               T* dgamma, T* dbeta, const BatchNormShape& s) {
  for (int64_t c = 0; c < s.channels; ++c) {
    T sum_dy = 0, sum_dy_xhat = 0;
    for_channel(s, c, [&](int64_t i) {
      sum_dy += dy[i];
      sum_dy_xhat += dy[i] * (x[i] - mean[c]) * invstd[c];
      if (dx) dx[i] += dy[i] * gamma[c] * invstd[c];
    });
    if (dgamma) dgamma[c] += sum_dy_xhat;
    if (dbeta) dbeta[c] += sum_dy;
  }
}

#define SER_INSTANTIATE(T)                                                                                          \
  template void batchnorm_train_forward<T>(const T*, const T*, const T*, T*, T*, T*, T*, T, const BatchNormShape&); \
  template void batchnorm_train_backward<T>(const T*, const T*, const T*, const T*, const T*, T*, T*, T*,           \
                                            const BatchNormShape&);                                                 \
  template void batchnorm_frozen_forward<T>(const T*, const T*, const T*, const T*, const T*, T*,                   \
                                            const BatchNormShape&);                                                 \
  template void batchnorm_frozen_backward<T>(const T*, const T*, const T*, const T*, const T*, T*, T*, T*,          \
                                             const BatchNormShape&);
SER_INSTANTIATE(float)
SER_INSTANTIATE(double)
#undef SER_INSTANTIATE

}  // namespace ser::nn
