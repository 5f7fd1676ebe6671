#include "nn/kernels/sequence_pool.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "nn/kernels/gemm.hpp"
#include "nn/kernels/scratch.hpp"

namespace ser::nn {

template <typename T>
void stats_pool_forward_naive(const T* x, T* y, const SequencePoolShape& s, T eps) {
  const int64_t F = s.features, TT = s.steps;
  for (int64_t n = 0; n < s.batch; ++n)
    for (int64_t f = 0; f < F; ++f) {
      T mean = 0, var = 0;
      for (int64_t t = 0; t < TT; ++t) mean += x[(n * TT + t) * F + f];
      mean /= static_cast<T>(TT);
      for (int64_t t = 0; t < TT; ++t) {
        const T d = x[(n * TT + t) * F + f] - mean;
        var += d * d;
      }
      y[n * 2 * F + f] = mean;
      y[n * 2 * F + F + f] = std::sqrt(var / static_cast<T>(TT) + eps);
    }
}

template <typename T>
void stats_pool_backward_naive(const T* x, const T* y, const T* dy, T* dx, const SequencePoolShape& s) {
  const int64_t F = s.features, TT = s.steps;
  for (int64_t n = 0; n < s.batch; ++n)
    for (int64_t f = 0; f < F; ++f) {
      const T mean = y[n * 2 * F + f], sd = y[n * 2 * F + F + f];
      const T dmean = dy[n * 2 * F + f] / static_cast<T>(TT);
      const T dsd = dy[n * 2 * F + F + f] / (static_cast<T>(TT) * sd);
      for (int64_t t = 0; t < TT; ++t) dx[(n * TT + t) * F + f] += dmean + dsd * (x[(n * TT + t) * F + f] - mean);
    }
}

template <typename T>
void attention_pool_forward_naive(const T* x, const T* w, const T* b, const T* v, T* y, T* a, T* alpha,
                                  const SequencePoolShape& s) {
  const int64_t F = s.features, TT = s.steps, U = s.units;
  for (int64_t n = 0; n < s.batch; ++n) {
    T* al = alpha + n * TT;
    T top = -INFINITY;
    for (int64_t t = 0; t < TT; ++t) {
      const T* xt = x + (n * TT + t) * F;
      T* at = a + (n * TT + t) * U;
      T e = 0;
      for (int64_t u = 0; u < U; ++u) {
        T z = b[u];
        for (int64_t f = 0; f < F; ++f) z += w[u * F + f] * xt[f];
        at[u] = std::tanh(z);
        e += v[u] * at[u];
      }
      al[t] = e;
      top = std::max(top, e);
    }
    T sum = 0;
    for (int64_t t = 0; t < TT; ++t) sum += al[t] = std::exp(al[t] - top);
    for (int64_t t = 0; t < TT; ++t) al[t] /= sum;
    for (int64_t f = 0; f < F; ++f) {
      T acc = 0;
      for (int64_t t = 0; t < TT; ++t) acc += al[t] * x[(n * TT + t) * F + f];
      y[n * F + f] = acc;
    }
  }
}

template <typename T>
void attention_pool_backward_naive(const T* x, const T* w, const T* v, const T* a, const T* alpha, const T* dy, T* dx,
                                   T* dw, T* db, T* dv, const SequencePoolShape& s) {
  const int64_t F = s.features, TT = s.steps, U = s.units;
  std::vector<T> dalpha(static_cast<size_t>(TT));
  for (int64_t n = 0; n < s.batch; ++n) {
    const T* al = alpha + n * TT;
    const T* dyn = dy + n * F;
    T mix = 0;  // sum_s alpha_s dalpha_s
    for (int64_t t = 0; t < TT; ++t) {
      T d = 0;
      for (int64_t f = 0; f < F; ++f) d += dyn[f] * x[(n * TT + t) * F + f];
      dalpha[static_cast<size_t>(t)] = d;
      mix += al[t] * d;
    }
    for (int64_t t = 0; t < TT; ++t) {
      const T* xt = x + (n * TT + t) * F;
      const T* at = a + (n * TT + t) * U;
      const T de = al[t] * (dalpha[static_cast<size_t>(t)] - mix);
      if (dx)
        for (int64_t f = 0; f < F; ++f) dx[(n * TT + t) * F + f] += al[t] * dyn[f];
      for (int64_t u = 0; u < U; ++u) {
        if (dv) dv[u] += de * at[u];
        const T dz = de * v[u] * (T(1) - at[u] * at[u]);
        if (db) db[u] += dz;
        for (int64_t f = 0; f < F; ++f) {
          if (dw) dw[u * F + f] += dz * xt[f];
          if (dx) dx[(n * TT + t) * F + f] += dz * w[u * F + f];
        }
      }
    }
  }
}

#define SER_INSTANTIATE(T)                                                                                           \
  template void stats_pool_forward_naive<T>(const T*, T*, const SequencePoolShape&, T);                             \
  template void stats_pool_backward_naive<T>(const T*, const T*, const T*, T*, const SequencePoolShape&);           \
  template void attention_pool_forward_naive<T>(const T*, const T*, const T*, const T*, T*, T*, T*,                 \
                                                const SequencePoolShape&);                                          \
  template void attention_pool_backward_naive<T>(const T*, const T*, const T*, const T*, const T*, const T*, T*, T*, \
                                                 T*, T*, const SequencePoolShape&);
SER_INSTANTIATE(float)
SER_INSTANTIATE(double)
#undef SER_INSTANTIATE

void stats_pool_forward(const float* x, float* y, const SequencePoolShape& s, float eps, int most_threads) {
  const int64_t F = s.features, TT = s.steps;
  for_tasks_balanced(s.batch, batch_threads(s.batch, most_threads), [&](int64_t n) {
    float* mean = y + n * 2 * F;
    float* sd = mean + F;
    std::fill(mean, mean + 2 * F, 0.0f);
    for (int64_t t = 0; t < TT; ++t) {  // step by step, every feature at once
      const float* xt = x + (n * TT + t) * F;
#pragma omp simd
      for (int64_t f = 0; f < F; ++f) mean[f] += xt[f];
    }
    for (int64_t f = 0; f < F; ++f) mean[f] /= static_cast<float>(TT);
    for (int64_t t = 0; t < TT; ++t) {
      const float* xt = x + (n * TT + t) * F;
#pragma omp simd
      for (int64_t f = 0; f < F; ++f) sd[f] += (xt[f] - mean[f]) * (xt[f] - mean[f]);
    }
    for (int64_t f = 0; f < F; ++f) sd[f] = std::sqrt(sd[f] / static_cast<float>(TT) + eps);
  });
}

void stats_pool_backward(const float* x, const float* y, const float* dy, float* dx, const SequencePoolShape& s,
                         int most_threads) {
  const int64_t F = s.features, TT = s.steps;
  for_tasks_balanced(s.batch, batch_threads(s.batch, most_threads), [&](int64_t n) {
    const float* mean = y + n * 2 * F;
    const float* sd = mean + F;
    const float* dmean = dy + n * 2 * F;
    const float* dsd = dmean + F;
    for (int64_t t = 0; t < TT; ++t) {
      const float* xt = x + (n * TT + t) * F;
      float* dxt = dx + (n * TT + t) * F;
#pragma omp simd
      for (int64_t f = 0; f < F; ++f)
        dxt[f] += dmean[f] / static_cast<float>(TT) + dsd[f] / (static_cast<float>(TT) * sd[f]) * (xt[f] - mean[f]);
    }
  });
}

namespace {
thread_local std::vector<float> t_de, t_dz;
}

void attention_pool_forward(const float* x, const float* w, const float* b, const float* v, float* y, float* a,
                            float* alpha, const SequencePoolShape& s, int threads) {
  const int64_t F = s.features, TT = s.steps, U = s.units, rows = s.batch * TT;
  // a <- tanh(x w^T + b) for every step of the batch: one GEMM.
  for (int64_t r = 0; r < rows; ++r) std::copy(b, b + U, a + r * U);
  sgemm(false, true, rows, U, F, 1.0f, x, F, w, F, 1.0f, a, U, threads);
  for (int64_t i = 0; i < rows * U; ++i) a[i] = std::tanh(a[i]);
  for_tasks_balanced(s.batch, batch_threads(s.batch, threads), [&](int64_t n) {
    float* al = alpha + n * TT;
    float top = -INFINITY;
    for (int64_t t = 0; t < TT; ++t) {
      const float* at = a + (n * TT + t) * U;
      float e = 0;
      for (int64_t u = 0; u < U; ++u) e += v[u] * at[u];
      al[t] = e;
      top = std::max(top, e);
    }
    float sum = 0;
    for (int64_t t = 0; t < TT; ++t) sum += al[t] = std::exp(al[t] - top);
    for (int64_t t = 0; t < TT; ++t) al[t] /= sum;
    float* yn = y + n * F;
    std::fill(yn, yn + F, 0.0f);
    for (int64_t t = 0; t < TT; ++t) {
      const float* xt = x + (n * TT + t) * F;
#pragma omp simd
      for (int64_t f = 0; f < F; ++f) yn[f] += al[t] * xt[f];
    }
  });
}

void attention_pool_backward(const float* x, const float* w, const float* v, const float* a, const float* alpha,
                             const float* dy, float* dx, float* dw, float* db, float* dv, const SequencePoolShape& s,
                             int threads) {
  const int64_t F = s.features, TT = s.steps, U = s.units, rows = s.batch * TT;
  float* de = grow_scratch(t_de, rows);      // the scores' gradients
  float* dz = grow_scratch(t_dz, rows * U);  // the tanh layer's pre-activation gradients
  for_tasks_balanced(s.batch, batch_threads(s.batch, threads), [&](int64_t n) {
    const float* al = alpha + n * TT;
    const float* dyn = dy + n * F;
    float mix = 0;
    for (int64_t t = 0; t < TT; ++t) {
      const float* xt = x + (n * TT + t) * F;
      float d = 0;
      for (int64_t f = 0; f < F; ++f) d += dyn[f] * xt[f];
      de[n * TT + t] = d;
      mix += al[t] * d;
    }
    for (int64_t t = 0; t < TT; ++t) {
      const int64_t r = n * TT + t;
      de[r] = al[t] * (de[r] - mix);
      const float* ar = a + r * U;
      for (int64_t u = 0; u < U; ++u) dz[r * U + u] = de[r] * v[u] * (1.0f - ar[u] * ar[u]);
      if (dx) {
        float* dxt = dx + r * F;
#pragma omp simd
        for (int64_t f = 0; f < F; ++f) dxt[f] += al[t] * dyn[f];
      }
    }
  });
  if (dv)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t u = 0; u < U; ++u) dv[u] += de[r] * a[r * U + u];
  if (db)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t u = 0; u < U; ++u) db[u] += dz[r * U + u];
  if (dw) sgemm(true, false, U, F, rows, 1.0f, dz, U, x, F, 1.0f, dw, F, threads);
  if (dx) sgemm(false, false, rows, F, U, 1.0f, dz, U, w, F, 1.0f, dx, F, threads);
}

}  // namespace ser::nn
