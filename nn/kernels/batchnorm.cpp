#include "nn/kernels/batchnorm.hpp"

#include <cmath>
#include <vector>

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
void batchnorm_channel_sums(const T* x, const BatchNormShape& s, T* sums) {
  for (int64_t c = 0; c < s.channels; ++c) {
    T sum = 0;
    for_channel(s, c, [&](int64_t i) { sum += x[i]; });
    sums[c] = sum;
  }
}

template <typename T>
void batchnorm_centered_squares(const T* x, const T* mean, const BatchNormShape& s, T* squares) {
  for (int64_t c = 0; c < s.channels; ++c) {
    const T m = mean[c];
    T sq = 0;  // two passes: no catastrophic cancellation
    for_channel(s, c, [&](int64_t i) { sq += (x[i] - m) * (x[i] - m); });
    squares[c] = sq;
  }
}

template <typename T>
void batchnorm_grad_sums(const T* x, const T* mean, const T* invstd, const T* dy, const BatchNormShape& s, T* sum_dy,
                         T* sum_dy_xhat) {
  for (int64_t c = 0; c < s.channels; ++c) {
    const T m = mean[c], inv = invstd[c];
    T a = 0, b = 0;
    for_channel(s, c, [&](int64_t i) {
      a += dy[i];
      b += dy[i] * (x[i] - m) * inv;
    });
    sum_dy[c] = a;
    sum_dy_xhat[c] = b;
  }
}

template <typename T>
void batchnorm_input_grad(const T* x, const T* gamma, const T* mean, const T* invstd, const T* dy, const T* sum_dy,
                          const T* sum_dy_xhat, T count, T* dx, const BatchNormShape& s) {
  for (int64_t c = 0; c < s.channels; ++c) {
    const T m = mean[c], inv = invstd[c], k = gamma[c] * inv;
    for_channel(s, c, [&](int64_t i) {
      const T xhat = (x[i] - m) * inv;
      dx[i] += k * (dy[i] - sum_dy[c] / count - xhat * sum_dy_xhat[c] / count);
    });
  }
}

template <typename T>
void batchnorm_train_forward(const T* x, const T* gamma, const T* beta, T* y, T* mean, T* var, T* invstd, T eps,
                             const BatchNormShape& s) {
  const T count = T(s.batch * s.spatial);
  batchnorm_channel_sums(x, s, mean);
  for (int64_t c = 0; c < s.channels; ++c) mean[c] /= count;
  batchnorm_centered_squares(x, mean, s, var);
  for (int64_t c = 0; c < s.channels; ++c) {
    var[c] /= count;
    invstd[c] = T(1) / std::sqrt(var[c] + eps);
  }
  batchnorm_frozen_forward(x, gamma, beta, mean, invstd, y, s);
}

template <typename T>
void batchnorm_train_backward(const T* x, const T* gamma, const T* mean, const T* invstd, const T* dy, T* dx, T* dgamma,
                              T* dbeta, const BatchNormShape& s) {
  std::vector<T> sum_dy(static_cast<size_t>(s.channels)), sum_dy_xhat(sum_dy.size());
  batchnorm_grad_sums(x, mean, invstd, dy, s, sum_dy.data(), sum_dy_xhat.data());
  for (int64_t c = 0; c < s.channels; ++c) {
    if (dgamma) dgamma[c] += sum_dy_xhat[static_cast<size_t>(c)];
    if (dbeta) dbeta[c] += sum_dy[static_cast<size_t>(c)];
  }
  if (dx) batchnorm_input_grad(x, gamma, mean, invstd, dy, sum_dy.data(), sum_dy_xhat.data(), T(s.batch * s.spatial), dx, s);
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
  template void batchnorm_channel_sums<T>(const T*, const BatchNormShape&, T*);                                     \
  template void batchnorm_centered_squares<T>(const T*, const T*, const BatchNormShape&, T*);                       \
  template void batchnorm_grad_sums<T>(const T*, const T*, const T*, const T*, const BatchNormShape&, T*, T*);      \
  template void batchnorm_input_grad<T>(const T*, const T*, const T*, const T*, const T*, const T*, const T*, T, T*, \
                                        const BatchNormShape&);                                                     \
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
