#include "nn/kernels/lstm.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace ser::nn {

namespace {
template <typename T>
T sigmoid(T a) {
  return a >= T(0) ? T(1) / (T(1) + std::exp(-a)) : std::exp(a) / (T(1) + std::exp(a));
}
}  // namespace

template <typename T>
void lstm_forward(const T* x, const T* w_ih, const T* w_hh, const T* b, T* h, T* c, T* gates, const LstmShape& s) {
  const int64_t H = s.hidden, F = s.input, G = 4 * H;
  std::vector<T> a(static_cast<size_t>(G));
  for (int64_t n = 0; n < s.batch; ++n) {
    for (int64_t t = 0; t < s.steps; ++t) {
      const T* xt = x + (n * s.steps + t) * F;
      const T* hprev = t ? h + (n * s.steps + t - 1) * H : nullptr;
      const T* cprev = t ? c + (n * s.steps + t - 1) * H : nullptr;
      for (int64_t g = 0; g < G; ++g) {
        T acc = b[g];
        for (int64_t k = 0; k < F; ++k) acc += w_ih[g * F + k] * xt[k];
        if (hprev)
          for (int64_t k = 0; k < H; ++k) acc += w_hh[g * H + k] * hprev[k];
        a[static_cast<size_t>(g)] = acc;
      }
      T* gt = gates + (n * s.steps + t) * G;
      T* ct = c + (n * s.steps + t) * H;
      T* ht = h + (n * s.steps + t) * H;
      for (int64_t j = 0; j < H; ++j) {
        const T i = sigmoid(a[static_cast<size_t>(j)]);
        const T f = sigmoid(a[static_cast<size_t>(H + j)]);
        const T g = std::tanh(a[static_cast<size_t>(2 * H + j)]);
        const T o = sigmoid(a[static_cast<size_t>(3 * H + j)]);
        gt[j] = i;
        gt[H + j] = f;
        gt[2 * H + j] = g;
        gt[3 * H + j] = o;
        ct[j] = f * (cprev ? cprev[j] : T(0)) + i * g;
        ht[j] = o * std::tanh(ct[j]);
      }
    }
  }
}

template <typename T>
void lstm_backward(const T* x, const T* w_ih, const T* w_hh, const T* h, const T* c, const T* gates, const T* dh, T* dx,
                   T* dw_ih, T* dw_hh, T* db, const LstmShape& s) {
  const int64_t H = s.hidden, F = s.input, G = 4 * H;
  std::vector<T> dh_next(static_cast<size_t>(H)), dc_next(static_cast<size_t>(H)), da(static_cast<size_t>(G));
  for (int64_t n = 0; n < s.batch; ++n) {
    std::fill(dh_next.begin(), dh_next.end(), T(0));
    std::fill(dc_next.begin(), dc_next.end(), T(0));
    for (int64_t t = s.steps - 1; t >= 0; --t) {
      const int64_t row = n * s.steps + t;
      const T* gt = gates + row * G;
      const T* ct = c + row * H;
      const T* cprev = t ? c + (row - 1) * H : nullptr;
      const T* hprev = t ? h + (row - 1) * H : nullptr;
      for (int64_t j = 0; j < H; ++j) {
        const size_t u = static_cast<size_t>(j);
        const T i = gt[j], f = gt[H + j], g = gt[2 * H + j], o = gt[3 * H + j];
        const T tc = std::tanh(ct[j]);
        const T dht = dh[row * H + j] + dh_next[u];
        const T dc = dc_next[u] + dht * o * (T(1) - tc * tc);
        da[u] = dc * g * i * (T(1) - i);                                                   // input gate
        da[static_cast<size_t>(H + j)] = dc * (cprev ? cprev[j] : T(0)) * f * (T(1) - f);  // forget gate
        da[static_cast<size_t>(2 * H + j)] = dc * i * (T(1) - g * g);                      // cell candidate
        da[static_cast<size_t>(3 * H + j)] = dht * tc * o * (T(1) - o);                    // output gate
        dc_next[u] = dc * f;
      }
      std::fill(dh_next.begin(), dh_next.end(), T(0));
      const T* xt = x + row * F;
      for (int64_t g = 0; g < G; ++g) {
        const T d = da[static_cast<size_t>(g)];
        if (db) db[g] += d;
        if (dw_ih)
          for (int64_t k = 0; k < F; ++k) dw_ih[g * F + k] += d * xt[k];
        if (dx)
          for (int64_t k = 0; k < F; ++k) dx[row * F + k] += d * w_ih[g * F + k];
        if (hprev) {
          if (dw_hh)
            for (int64_t k = 0; k < H; ++k) dw_hh[g * H + k] += d * hprev[k];
          for (int64_t k = 0; k < H; ++k) dh_next[static_cast<size_t>(k)] += d * w_hh[g * H + k];
        }
      }
    }
  }
}

#define SER_INSTANTIATE(T)                                                                                             \
  template void lstm_forward<T>(const T*, const T*, const T*, const T*, T*, T*, T*, const LstmShape&);                 \
  template void lstm_backward<T>(const T*, const T*, const T*, const T*, const T*, const T*, const T*, T*, T*, T*, T*, \
                                 const LstmShape&);
SER_INSTANTIATE(float)
SER_INSTANTIATE(double)
#undef SER_INSTANTIATE

}  // namespace ser::nn
