#include "nn/kernels/gru.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "nn/kernels/gemm.hpp"
#include "nn/kernels/scratch.hpp"
#include "nn/kernels/stable_sigmoid.hpp"
#include "nn/kernels/vector_math.hpp"

namespace ser::nn {

template <typename T>
void gru_forward_naive(const T* x, const T* w_ih, const T* w_hh, const T* b_ih, const T* b_hh, T* h, T* gates,
                       T* hn, const GruShape& s) {
  const int64_t H = s.hidden, F = s.input, G = 3 * H;
  std::vector<T> xp(static_cast<size_t>(G)), hp(static_cast<size_t>(G));
  for (int64_t n = 0; n < s.batch; ++n)
    for (int64_t t = 0; t < s.steps; ++t) {
      const int64_t row = n * s.steps + t;
      const T* xt = x + row * F;
      const T* hprev = t ? h + (row - 1) * H : nullptr;
      for (int64_t g = 0; g < G; ++g) {
        T a = b_ih[g], b = b_hh[g];
        for (int64_t k = 0; k < F; ++k) a += w_ih[g * F + k] * xt[k];
        if (hprev)
          for (int64_t k = 0; k < H; ++k) b += w_hh[g * H + k] * hprev[k];
        xp[static_cast<size_t>(g)] = a;
        hp[static_cast<size_t>(g)] = b;
      }
      for (int64_t j = 0; j < H; ++j) {
        const auto u = static_cast<size_t>(j);
        const T r = stable_sigmoid(xp[u] + hp[u]);
        const T z = stable_sigmoid(xp[u + static_cast<size_t>(H)] + hp[u + static_cast<size_t>(H)]);
        const T nn = std::tanh(xp[u + static_cast<size_t>(2 * H)] + r * hp[u + static_cast<size_t>(2 * H)]);
        gates[row * G + j] = r;
        gates[row * G + H + j] = z;
        gates[row * G + 2 * H + j] = nn;
        hn[row * H + j] = hp[u + static_cast<size_t>(2 * H)];
        h[row * H + j] = (T(1) - z) * nn + z * (hprev ? hprev[j] : T(0));
      }
    }
}

template <typename T>
void gru_backward_naive(const T* x, const T* w_ih, const T* w_hh, const T* h, const T* gates, const T* hn,
                        const T* dh, T* dx, T* dw_ih, T* dw_hh, T* db_ih, T* db_hh, const GruShape& s) {
  const int64_t H = s.hidden, F = s.input, G = 3 * H;
  std::vector<T> dh_next(static_cast<size_t>(H)), dxp(static_cast<size_t>(G)), dhp(static_cast<size_t>(G));
  for (int64_t n = 0; n < s.batch; ++n) {
    std::fill(dh_next.begin(), dh_next.end(), T(0));
    for (int64_t t = s.steps - 1; t >= 0; --t) {
      const int64_t row = n * s.steps + t;
      const T* hprev = t ? h + (row - 1) * H : nullptr;
      for (int64_t j = 0; j < H; ++j) {
        const auto u = static_cast<size_t>(j);
        const T r = gates[row * G + j], z = gates[row * G + H + j], nn = gates[row * G + 2 * H + j];
        const T dht = dh[row * H + j] + dh_next[u];
        const T dn = dht * (T(1) - z) * (T(1) - nn * nn);  // at n's pre-activation
        const T dr = dn * hn[row * H + j] * r * (T(1) - r);
        const T dz = dht * ((hprev ? hprev[j] : T(0)) - nn) * z * (T(1) - z);
        dxp[u] = dr, dxp[u + static_cast<size_t>(H)] = dz, dxp[u + static_cast<size_t>(2 * H)] = dn;
        dhp[u] = dr, dhp[u + static_cast<size_t>(H)] = dz, dhp[u + static_cast<size_t>(2 * H)] = dn * r;
        dh_next[u] = dht * z;  // the direct path; the recurrent products are added below
      }
      const T* xt = x + row * F;
      for (int64_t g = 0; g < G; ++g) {
        const T a = dxp[static_cast<size_t>(g)], b = dhp[static_cast<size_t>(g)];
        if (db_ih) db_ih[g] += a;
        if (db_hh) db_hh[g] += b;
        for (int64_t k = 0; k < F; ++k) {
          if (dw_ih) dw_ih[g * F + k] += a * xt[k];
          if (dx) dx[row * F + k] += a * w_ih[g * F + k];
        }
        if (hprev)
          for (int64_t k = 0; k < H; ++k) {
            if (dw_hh) dw_hh[g * H + k] += b * hprev[k];
            dh_next[static_cast<size_t>(k)] += b * w_hh[g * H + k];
          }
      }
    }
  }
}

#define SER_INSTANTIATE(T)                                                                                      \
  template void gru_forward_naive<T>(const T*, const T*, const T*, const T*, const T*, T*, T*, T*,              \
                                     const GruShape&);                                                          \
  template void gru_backward_naive<T>(const T*, const T*, const T*, const T*, const T*, const T*, const T*, T*, \
                                      T*, T*, T*, T*, const GruShape&);
SER_INSTANTIATE(float)
SER_INSTANTIATE(double)
#undef SER_INSTANTIATE

namespace {
thread_local std::vector<float> t_dxp, t_dhp, t_dh_next, t_hp, t_h_prev, t_whh_packed;

// As for the LSTM: samples never interact, so chunks of kChunk samples run
// their whole sequences on one thread each, the same chunks whatever the
// thread count.
constexpr int64_t kChunk = 16;
int64_t chunk_count(int64_t n) { return (n + kChunk - 1) / kChunk; }

const float* packed_recurrent(const float* w_hh, bool trans, int64_t K, int64_t N) {
  float* packed = grow_scratch(t_whh_packed, sgemm_packed_b_size(K, N));
  sgemm_pack_b(trans, K, N, w_hh, trans ? K : N, packed);
  return packed;
}

// One step of one sample: gates from the input part (pre-activations, in
// `gt`) and the recurrent part `hp`, then the new state.
void gru_cell(float* gt, const float* hp, const float* hprev, float* hnt, float* ht, int64_t H) {
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const float r = sigmoid_approx(gt[j] + hp[j]), z = sigmoid_approx(gt[H + j] + hp[H + j]);
    const float nn = tanh_approx(gt[2 * H + j] + r * hp[2 * H + j]);
    gt[j] = r, gt[H + j] = z, gt[2 * H + j] = nn;
    hnt[j] = hp[2 * H + j];
    ht[j] = (1.0f - z) * nn + z * (hprev ? hprev[j] : 0.0f);
  }
}
}  // namespace

void gru_forward(const float* x, const float* w_ih, const float* w_hh, const float* b_ih, const float* b_hh, float* h,
                 float* gates, float* hn, const GruShape& s, int most_threads) {
  const int64_t N = s.batch, T = s.steps, F = s.input, H = s.hidden, G = 3 * H;
  const int64_t chunks = chunk_count(N);
  const int threads = batch_threads(chunks, most_threads);
  const float* w_hh_packed = N > 2 ? packed_recurrent(w_hh, true, H, G) : nullptr;
  for_tasks_balanced(chunks, threads, [&](int64_t chunk) {
    const int64_t n0 = chunk * kChunk, n1 = std::min(N, n0 + kChunk), rows = n1 - n0;
    for (int64_t r = n0 * T; r < n1 * T; ++r) std::copy(b_ih, b_ih + G, gates + r * G);
    sgemm(false, true, rows * T, G, F, 1.0f, x + n0 * T * F, F, w_ih, F, 1.0f, gates + n0 * T * G, G, 1);
    float* hp = grow_scratch(t_hp, rows * G);  // the recurrent projections of this step
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t n = 0; n < rows; ++n) std::copy(b_hh, b_hh + G, hp + n * G);
      if (t > 0)
        sgemm_prepacked_b(false, true, rows, G, H, 1.0f, h + (n0 * T + t - 1) * H, T * H, w_hh, H, w_hh_packed, 1.0f,
                          hp, G);
      for (int64_t n = n0; n < n1; ++n) {
        const int64_t row = n * T + t;
        gru_cell(gates + row * G, hp + (n - n0) * G, t ? h + (row - 1) * H : nullptr, hn + row * H, h + row * H, H);
      }
    }
  });
}

namespace {
// One step of one sample backwards: the pre-activation gradients of the
// input part (dxp) and of the recurrent part (dhp), and the direct path of dh.
void gru_cell_backward(const float* gt, const float* hnt, const float* hprev, const float* dht_in, const float* dhn,
                       float* dxp, float* dhp, float* dh_direct, int64_t H) {
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const float r = gt[j], z = gt[H + j], nn = gt[2 * H + j];
    const float dht = dht_in[j] + dhn[j];
    const float dn = dht * (1.0f - z) * (1.0f - nn * nn);
    const float dr = dn * hnt[j] * r * (1.0f - r);
    const float dz = dht * ((hprev ? hprev[j] : 0.0f) - nn) * z * (1.0f - z);
    dxp[j] = dr, dxp[H + j] = dz, dxp[2 * H + j] = dn;
    dhp[j] = dr, dhp[H + j] = dz, dhp[2 * H + j] = dn * r;
    dh_direct[j] = dht * z;
  }
}
}  // namespace

void gru_backward(const float* x, const float* w_ih, const float* w_hh, const float* h, const float* gates,
                  const float* hn, const float* dh, float* dx, float* dw_ih, float* dw_hh, float* db_ih,
                  float* db_hh, const GruShape& s, int most_threads) {
  const int64_t N = s.batch, T = s.steps, F = s.input, H = s.hidden, G = 3 * H;
  float* dxp = grow_scratch(t_dxp, N * T * G);
  float* dhp = grow_scratch(t_dhp, N * T * G);
  float* dh_next = grow_scratch(t_dh_next, 2 * N * H);  // [N, H] carried, then [N, H] being made
  const int64_t chunks = chunk_count(N);
  const int threads = batch_threads(chunks, most_threads);
  const float* w_hh_packed = packed_recurrent(w_hh, false, G, H);  // op(B) = w_hh [G, H]
  for_tasks_balanced(chunks, threads, [&](int64_t chunk) {
    const int64_t n0 = chunk * kChunk, n1 = std::min(N, n0 + kChunk), rows = n1 - n0;
    float* carried = dh_next + n0 * H;
    float* made = dh_next + (N + n0) * H;
    std::fill(carried, carried + rows * H, 0.0f);
    for (int64_t t = T - 1; t >= 0; --t) {
      for (int64_t n = n0; n < n1; ++n) {
        const int64_t row = n * T + t;
        gru_cell_backward(gates + row * G, hn + row * H, t ? h + (row - 1) * H : nullptr, dh + row * H,
                          carried + (n - n0) * H, dxp + row * G, dhp + row * G, made + (n - n0) * H, H);
      }
      // dh_{t-1} = z * dh_t + dhp_t w_hh for these samples.
      if (t > 0)
        sgemm_prepacked_b(false, false, rows, H, G, 1.0f, dhp + (n0 * T + t) * G, T * G, w_hh, H, w_hh_packed, 1.0f,
                          made, H);
      std::copy(made, made + rows * H, carried);
    }
  });
  for (int64_t r = 0; r < N * T; ++r)
    for (int64_t g = 0; g < G; ++g) {
      if (db_ih) db_ih[g] += dxp[r * G + g];
      if (db_hh) db_hh[g] += dhp[r * G + g];
    }
  if (dw_ih) sgemm(true, false, G, F, N * T, 1.0f, dxp, G, x, F, 1.0f, dw_ih, F, most_threads);
  if (dx) sgemm(false, false, N * T, F, G, 1.0f, dxp, G, w_ih, F, 1.0f, dx, F, most_threads);
  if (dw_hh && T > 1) {
    float* h_prev = grow_scratch(t_h_prev, N * T * H);  // h shifted one step, zero at t = 0
    for (int64_t n = 0; n < N; ++n) {
      std::fill(h_prev + n * T * H, h_prev + (n * T + 1) * H, 0.0f);
      std::copy(h + n * T * H, h + (n * T + T - 1) * H, h_prev + (n * T + 1) * H);
    }
    sgemm(true, false, G, H, N * T, 1.0f, dhp, G, h_prev, H, 1.0f, dw_hh, H, most_threads);
  }
}

}  // namespace ser::nn
