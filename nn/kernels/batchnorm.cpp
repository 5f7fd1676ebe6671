#include "nn/kernels/batchnorm.hpp"

#include <omp.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "nn/kernels/scratch.hpp"
#include "nn/kernels/vector_math.hpp"

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
void batchnorm_channel_sums_naive(const T* x, const BatchNormShape& s, T* sums) {
  for (int64_t c = 0; c < s.channels; ++c) {
    T sum = 0;
    for_channel(s, c, [&](int64_t i) { sum += x[i]; });
    sums[c] = sum;
  }
}

template <typename T>
void batchnorm_centered_squares_naive(const T* x, const T* mean, const BatchNormShape& s, T* squares) {
  for (int64_t c = 0; c < s.channels; ++c) {
    const T m = mean[c];
    T sq = 0;  // two passes: no catastrophic cancellation
    for_channel(s, c, [&](int64_t i) { sq += (x[i] - m) * (x[i] - m); });
    squares[c] = sq;
  }
}

template <typename T>
void batchnorm_grad_sums_naive(const T* x, const T* mean, const T* invstd, const T* dy, const BatchNormShape& s, T* sum_dy,
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
void batchnorm_input_grad_naive(const T* x, const T* gamma, const T* mean, const T* invstd, const T* dy, const T* sum_dy,
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
void batchnorm_train_forward_naive(const T* x, const T* gamma, const T* beta, T* y, T* mean, T* var, T* invstd, T eps,
                             const BatchNormShape& s) {
  const T count = T(s.batch * s.spatial);
  batchnorm_channel_sums_naive(x, s, mean);
  for (int64_t c = 0; c < s.channels; ++c) mean[c] /= count;
  batchnorm_centered_squares_naive(x, mean, s, var);
  for (int64_t c = 0; c < s.channels; ++c) {
    var[c] /= count;
    invstd[c] = T(1) / std::sqrt(var[c] + eps);
  }
  batchnorm_frozen_forward_naive(x, gamma, beta, mean, invstd, y, s);
}

template <typename T>
void batchnorm_train_backward_naive(const T* x, const T* gamma, const T* mean, const T* invstd, const T* dy, T* dx, T* dgamma,
                              T* dbeta, const BatchNormShape& s) {
  std::vector<T> sum_dy(static_cast<size_t>(s.channels)), sum_dy_xhat(sum_dy.size());
  batchnorm_grad_sums_naive(x, mean, invstd, dy, s, sum_dy.data(), sum_dy_xhat.data());
  for (int64_t c = 0; c < s.channels; ++c) {
    if (dgamma) dgamma[c] += sum_dy_xhat[static_cast<size_t>(c)];
    if (dbeta) dbeta[c] += sum_dy[static_cast<size_t>(c)];
  }
  if (dx) batchnorm_input_grad_naive(x, gamma, mean, invstd, dy, sum_dy.data(), sum_dy_xhat.data(), T(s.batch * s.spatial), dx, s);
}

template <typename T>
void batchnorm_frozen_forward_naive(const T* x, const T* gamma, const T* beta, const T* mean, const T* invstd, T* y,
                              const BatchNormShape& s) {
  for (int64_t c = 0; c < s.channels; ++c)
    for_channel(s, c, [&](int64_t i) { y[i] = gamma[c] * (x[i] - mean[c]) * invstd[c] + beta[c]; });
}

template <typename T>
void batchnorm_frozen_backward_naive(const T* x, const T* gamma, const T* mean, const T* invstd, const T* dy, T* dx,
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
  template void batchnorm_channel_sums_naive<T>(const T*, const BatchNormShape&, T*);                                     \
  template void batchnorm_centered_squares_naive<T>(const T*, const T*, const BatchNormShape&, T*);                       \
  template void batchnorm_grad_sums_naive<T>(const T*, const T*, const T*, const T*, const BatchNormShape&, T*, T*);      \
  template void batchnorm_input_grad_naive<T>(const T*, const T*, const T*, const T*, const T*, const T*, const T*, T, T*, \
                                        const BatchNormShape&);                                                     \
  template void batchnorm_train_forward_naive<T>(const T*, const T*, const T*, T*, T*, T*, T*, T, const BatchNormShape&); \
  template void batchnorm_train_backward_naive<T>(const T*, const T*, const T*, const T*, const T*, T*, T*, T*,           \
                                            const BatchNormShape&);                                                 \
  template void batchnorm_frozen_forward_naive<T>(const T*, const T*, const T*, const T*, const T*, T*,                   \
                                            const BatchNormShape&);                                                 \
  template void batchnorm_frozen_backward_naive<T>(const T*, const T*, const T*, const T*, const T*, T*, T*, T*,          \
                                             const BatchNormShape&);
SER_INSTANTIATE(float)
SER_INSTANTIATE(double)
#undef SER_INSTANTIATE

// ---- the fast kernels

namespace {
// Below this many values (1 MB) a pass runs on one thread: waking the
// others cost more than it saved (a batch-1 prediction's first batch norm,
// 147K values, took 39 us on two threads against 23 us on one).
constexpr int64_t kParallelFrom = int64_t{1} << 18;

constexpr int kVec = 64 / kSumVectors;  // floats per F32Native

template <typename V>
V load_as(const float* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Sums of K terms over i < n in 64 lanes (lane j takes i = j, j + 64, ...,
// then the lanes pairwise: sum_fixed_order's order). term(tag, i, sums)
// adds the K terms at i, as vectors of kVec consecutive i when tag is an
// F32Native and as floats when it is a float.
template <int K, typename Term>
void lane_sums(int64_t n, const Term& term, float (&out)[K]) {
  F32Native acc[K][kSumVectors] = {};
  int64_t i = 0;
  for (; i + 64 <= n; i += 64)
    for (int v = 0; v < kSumVectors; ++v) {
      F32Native at[K];
      for (int k = 0; k < K; ++k) at[k] = acc[k][v];
      term(F32Native{}, i + kVec * v, at);
      for (int k = 0; k < K; ++k) acc[k][v] = at[k];
    }
  float lanes[K][64];
  std::memcpy(lanes, acc, sizeof lanes);
  for (int64_t j = 0; i + j < n; ++j) {
    float one[K] = {};
    term(0.0f, i + j, one);
    for (int k = 0; k < K; ++k) lanes[k][j] += one[k];
  }
  for (int k = 0; k < K; ++k) {
    for (int width = 32; width >= 1; width /= 2)
      for (int j = 0; j < width; ++j) lanes[k][j] += lanes[k][j + width];
    out[k] = lanes[k][0];
  }
}

// Per channel c, the K sums of term over its values: row by row in lanes
// (rows of at least 64 values), added in row order; shorter rows (a dense
// layer's [N, C] has rows of one value) in one running total, as the naive
// kernel. term(tag, i, sums) is called with i the index into [N, C, S].
template <int K, typename Term>
void channel_sums(const BatchNormShape& s, int64_t c, const Term& term, float (&out)[K]) {
  for (int k = 0; k < K; ++k) out[k] = 0.0f;
  for (int64_t n = 0; n < s.batch; ++n) {
    const int64_t base = (n * s.channels + c) * s.spatial;
    if (s.spatial < 64) {
      for (int64_t i = 0; i < s.spatial; ++i) term(0.0f, base + i, out);
      continue;
    }
    float row[K];
    lane_sums<K>(s.spatial, [&](auto tag, int64_t i, auto* sums) { term(tag, base + i, sums); }, row);
    for (int k = 0; k < K; ++k) out[k] += row[k];
  }
}

bool parallel_pays(const BatchNormShape& s) { return s.batch * s.channels * s.spatial >= kParallelFrom; }

// f(c) for every channel, channels shared over the threads.
template <typename F>
void for_channels(const BatchNormShape& s, int threads, const F& f) {
#pragma omp parallel for num_threads(parallel_pays(s) ? batch_threads(s.channels, threads) : 1) schedule(static)
  for (int64_t c = 0; c < s.channels; ++c) f(c);
}

// f(base, c) for every row (n, c) of S values starting at base, rows shared
// over the threads.
template <typename F>
void for_rows(const BatchNormShape& s, int threads, const F& f) {
  const int64_t rows = s.batch * s.channels;
#pragma omp parallel for num_threads(parallel_pays(s) ? batch_threads(rows, threads) : 1) schedule(static)
  for (int64_t r = 0; r < rows; ++r) f(r * s.spatial, r % s.channels);
}
}  // namespace

void batchnorm_channel_sums(const float* x, const BatchNormShape& s, float* sums, int threads) {
  for_channels(s, threads, [&](int64_t c) {
    float sum[1];
    channel_sums<1>(s, c, [&](auto tag, int64_t i, auto* out) { out[0] += load_as<decltype(tag)>(x + i); }, sum);
    sums[c] = sum[0];
  });
}

void batchnorm_centered_squares(const float* x, const float* mean, const BatchNormShape& s, float* squares,
                                int threads) {
  for_channels(s, threads, [&](int64_t c) {
    const float m = mean[c];
    float sq[1];
    channel_sums<1>(
        s, c,
        [&](auto tag, int64_t i, auto* out) {
          const auto d = load_as<decltype(tag)>(x + i) - m;
          out[0] += d * d;
        },
        sq);
    squares[c] = sq[0];
  });
}

void batchnorm_grad_sums(const float* x, const float* mean, const float* invstd, const float* dy,
                         const BatchNormShape& s, float* sum_dy, float* sum_dy_xhat, int threads) {
  for_channels(s, threads, [&](int64_t c) {
    const float m = mean[c];
    float sums[2];
    channel_sums<2>(
        s, c,
        [&](auto tag, int64_t i, auto* out) {
          using V = decltype(tag);
          const V g = load_as<V>(dy + i);
          out[0] += g;
          out[1] += g * (load_as<V>(x + i) - m);
        },
        sums);
    sum_dy[c] = sums[0];
    sum_dy_xhat[c] = sums[1] * invstd[c];  // invstd taken out of the sum: one product per channel
  });
}

void batchnorm_input_grad(const float* x, const float* gamma, const float* mean, const float* invstd, const float* dy,
                          const float* sum_dy, const float* sum_dy_xhat, float count, float* dx,
                          const BatchNormShape& s, bool overwrite, int threads) {
  // dx (+)= k (dy - sum_dy / count - xhat sum_dy_xhat / count), k = gamma
  // invstd, xhat = (x - m) invstd: k dy + a (x - m) + b per channel.
  for_rows(s, threads, [&](int64_t base, int64_t c) {
    const float m = mean[c], k = gamma[c] * invstd[c];
    const float a = -k * invstd[c] * sum_dy_xhat[c] / count, b = -k * sum_dy[c] / count;
    if (overwrite)
      for (int64_t i = base; i < base + s.spatial; ++i) dx[i] = k * dy[i] + a * (x[i] - m) + b;
    else
      for (int64_t i = base; i < base + s.spatial; ++i) dx[i] += k * dy[i] + a * (x[i] - m) + b;
  });
}

void batchnorm_frozen_forward(const float* x, const float* gamma, const float* beta, const float* mean,
                              const float* invstd, float* y, const BatchNormShape& s, int threads) {
  for_rows(s, threads, [&](int64_t base, int64_t c) {
    const float m = mean[c], k = gamma[c] * invstd[c], b = beta[c];
    for (int64_t i = base; i < base + s.spatial; ++i) y[i] = k * (x[i] - m) + b;
  });
}

void batchnorm_frozen_backward(const float* x, const float* gamma, const float* mean, const float* invstd,
                               const float* dy, float* dx, float* dgamma, float* dbeta, const BatchNormShape& s,
                               int threads) {
  if (dgamma || dbeta) {
    std::vector<float> sums(2 * static_cast<size_t>(s.channels));
    batchnorm_grad_sums(x, mean, invstd, dy, s, sums.data(), sums.data() + s.channels, threads);
    for (int64_t c = 0; c < s.channels; ++c) {
      if (dgamma) dgamma[c] += sums[static_cast<size_t>(s.channels + c)];
      if (dbeta) dbeta[c] += sums[static_cast<size_t>(c)];
    }
  }
  if (!dx) return;
  for_rows(s, threads, [&](int64_t base, int64_t c) {
    const float k = gamma[c] * invstd[c];
    for (int64_t i = base; i < base + s.spatial; ++i) dx[i] += k * dy[i];
  });
}

void batchnorm_train_forward(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* var,
                             float* invstd, float eps, const BatchNormShape& s, int threads) {
  const float count = static_cast<float>(s.batch * s.spatial);
  batchnorm_channel_sums(x, s, mean, threads);
  for (int64_t c = 0; c < s.channels; ++c) mean[c] /= count;
  batchnorm_centered_squares(x, mean, s, var, threads);
  for (int64_t c = 0; c < s.channels; ++c) {
    var[c] /= count;
    invstd[c] = 1.0f / std::sqrt(var[c] + eps);
  }
  batchnorm_frozen_forward(x, gamma, beta, mean, invstd, y, s, threads);
}

void batchnorm_train_backward(const float* x, const float* gamma, const float* mean, const float* invstd,
                              const float* dy, float* dx, float* dgamma, float* dbeta, const BatchNormShape& s,
                              Overwrite overwrite, int threads) {
  std::vector<float> sums(2 * static_cast<size_t>(s.channels));
  float *sum_dy = sums.data(), *sum_dy_xhat = sum_dy + s.channels;
  batchnorm_grad_sums(x, mean, invstd, dy, s, sum_dy, sum_dy_xhat, threads);
  for (int64_t c = 0; c < s.channels; ++c) {
    if (dgamma) dgamma[c] = overwrite.params ? sum_dy_xhat[c] : dgamma[c] + sum_dy_xhat[c];
    if (dbeta) dbeta[c] = overwrite.params ? sum_dy[c] : dbeta[c] + sum_dy[c];
  }
  if (dx)
    batchnorm_input_grad(x, gamma, mean, invstd, dy, sum_dy, sum_dy_xhat, static_cast<float>(s.batch * s.spatial), dx,
                         s, overwrite.dx, threads);
}

}  // namespace ser::nn
