#include "nn/kernels/lstm.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <omp.h>

#include "nn/kernels/gemm.hpp"
#include "nn/kernels/scratch.hpp"
#include "nn/kernels/stable_sigmoid.hpp"
#include "nn/kernels/vector_math.hpp"

namespace ser::nn {

template <typename T>
void lstm_forward_naive(const T* x, const T* w_ih, const T* w_hh, const T* b, T* h, T* c, T* gates, const LstmShape& s) {
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
        const T i = stable_sigmoid(a[static_cast<size_t>(j)]);
        const T f = stable_sigmoid(a[static_cast<size_t>(H + j)]);
        const T g = std::tanh(a[static_cast<size_t>(2 * H + j)]);
        const T o = stable_sigmoid(a[static_cast<size_t>(3 * H + j)]);
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
void lstm_backward_naive(const T* x, const T* w_ih, const T* w_hh, const T* h, const T* c, const T* gates, const T* dh, T* dx,
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
  template void lstm_forward_naive<T>(const T*, const T*, const T*, const T*, T*, T*, T*, const LstmShape&);                 \
  template void lstm_backward_naive<T>(const T*, const T*, const T*, const T*, const T*, const T*, const T*, T*, T*, T*, T*, \
                                 const LstmShape&);
SER_INSTANTIATE(float)
SER_INSTANTIATE(double)
#undef SER_INSTANTIATE

namespace {
thread_local std::vector<float> t_da, t_dh_next, t_dc_next, t_h_prev, t_zeros, t_whh_packed;

// The recurrent weights packed once per call (on the calling thread, before
// the chunks are shared out) for the products of every step: packing them
// at each of 99 steps per chunk, forward and backward, copied 256 KB a step.
const float* packed_recurrent(const float* w_hh, bool trans, int64_t K, int64_t N) {
  float* packed = grow_scratch(t_whh_packed, sgemm_packed_b_size(K, N));
  sgemm_pack_b(trans, K, N, w_hh, trans ? K : N, packed);
  return packed;
}
}  // namespace

// Samples never interact in an LSTM: the batch is cut into chunks of
// kChunk samples (16: the recurrent products stay as tall as one
// thread's half of a batch of 32 was), and a thread runs the whole sequence of a chunk with
// single-threaded GEMMs, so no time step waits for a barrier. The chunks do
// not depend on the thread count (a product of one or two rows takes
// another path in sgemm, with other bits), and any thread takes any chunk.
namespace {
constexpr int64_t kChunk = 16;
int64_t chunk_count(int64_t n) { return (n + kChunk - 1) / kChunk; }
}  // namespace

void lstm_forward(const float* x, const float* w_ih, const float* w_hh, const float* b, float* h, float* c,
                  float* gates, const LstmShape& s, int most_threads) {
  const int64_t N = s.batch, T = s.steps, F = s.input, H = s.hidden, G = 4 * H;
  const int64_t chunks = chunk_count(N);
  const int threads = batch_threads(chunks, most_threads);
  const float* zeros = grow_scratch(t_zeros, H);  // c before the first step
  std::fill(t_zeros.begin(), t_zeros.end(), 0.0f);
  // op(B) = w_hh^T [H, G]; products of one or two rows read w_hh directly
  // (sgemm's path for them), so a batch of one or two packs nothing.
  const float* w_hh_packed = N > 2 ? packed_recurrent(w_hh, true, H, G) : nullptr;
  for_tasks_balanced(chunks, threads, [&](int64_t chunk) {
    const int64_t n0 = chunk * kChunk, n1 = std::min(N, n0 + kChunk), rows = n1 - n0;
    {
      // gates <- x w_ih^T + b for every step of these samples at once.
      for (int64_t r = n0 * T; r < n1 * T; ++r) std::copy(b, b + G, gates + r * G);
      sgemm(false, true, rows * T, G, F, 1.0f, x + n0 * T * F, F, w_ih, F, 1.0f, gates + n0 * T * G, G, 1);
      for (int64_t t = 0; t < T; ++t) {
        float* a = gates + (n0 * T + t) * G;  // rows (n, t) are T rows apart
        if (t > 0)
          sgemm_prepacked_b(false, true, rows, G, H, 1.0f, h + (n0 * T + t - 1) * H, T * H, w_hh, H, w_hh_packed, 1.0f,
                            a, T * G);
        for (int64_t n = n0; n < n1; ++n) {
          float* gt = gates + (n * T + t) * G;
          float* ct = c + (n * T + t) * H;
          float* ht = h + (n * T + t) * H;
          const float* cprev = t ? ct - H : zeros;  // a real row, so the loop has no branch
#pragma omp simd
          for (int64_t j = 0; j < H; ++j) {
            const float i = sigmoid_approx(gt[j]), f = sigmoid_approx(gt[H + j]), g = tanh_approx(gt[2 * H + j]),
                        o = sigmoid_approx(gt[3 * H + j]);
            gt[j] = i;
            gt[H + j] = f;
            gt[2 * H + j] = g;
            gt[3 * H + j] = o;
            ct[j] = f * cprev[j] + i * g;
            ht[j] = o * tanh_approx(ct[j]);
          }
        }
      }
    }
  });
}

namespace {
// One sample's step t backwards: from dh (the output's gradient plus the
// next step's, dht) and the carried dc, the pre-activation gradients of
// the gates i, f, g, o into dat; dcn becomes the cell gradient for step t - 1.
void step_gate_gradients(const float* gt, const float* ct, const float* cprev, const float* dh_out, const float* dhn,
                         float* dcn, float* dat, int64_t H) {
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const float i = gt[j], f = gt[H + j], g = gt[2 * H + j], o = gt[3 * H + j];
    const float tc = tanh_approx(ct[j]);
    const float dht = dh_out[j] + dhn[j];
    const float dcj = dcn[j] + dht * o * (1.0f - tc * tc);
    dat[j] = dcj * g * i * (1.0f - i);
    dat[H + j] = dcj * cprev[j] * f * (1.0f - f);
    dat[2 * H + j] = dcj * i * (1.0f - g * g);
    dat[3 * H + j] = dht * tc * o * (1.0f - o);
    dcn[j] = dcj * f;
  }
}

// Backpropagation through time: the pre-activation gradients da [N, T, G]
// of every step, chunks of samples in parallel, each chunk's steps from the
// last to the first (dh_{t-1} = da_t w_hh by one GEMM per step and chunk).
void gate_gradients(const float* w_hh, const float* c, const float* gates, const float* dh, float* da,
                    const LstmShape& s, int most_threads) {
  const int64_t N = s.batch, T = s.steps, H = s.hidden, G = 4 * H;
  float* dh_next = grow_scratch(t_dh_next, N * H);
  float* dc_next = grow_scratch(t_dc_next, N * H);
  const int64_t chunks = chunk_count(N);
  const int threads = batch_threads(chunks, most_threads);
  const float* zeros = grow_scratch(t_zeros, H);
  std::fill(t_zeros.begin(), t_zeros.end(), 0.0f);
  const float* w_hh_packed = packed_recurrent(w_hh, false, G, H);  // op(B) = w_hh [G, H]
  for_tasks_balanced(chunks, threads, [&](int64_t chunk) {
    const int64_t n0 = chunk * kChunk, n1 = std::min(N, n0 + kChunk), rows = n1 - n0;
    std::fill(dh_next + n0 * H, dh_next + n1 * H, 0.0f);
    std::fill(dc_next + n0 * H, dc_next + n1 * H, 0.0f);
    for (int64_t t = T - 1; t >= 0 && rows > 0; --t) {
      for (int64_t n = n0; n < n1; ++n) {
        const int64_t row = n * T + t;
        const float* ct = c + row * H;
        step_gate_gradients(gates + row * G, ct, t ? ct - H : zeros, dh + row * H, dh_next + n * H, dc_next + n * H,
                            da + row * G, H);
      }
      if (t > 0)
        sgemm_prepacked_b(false, false, rows, H, G, 1.0f, da + (n0 * T + t) * G, T * G, w_hh, H, w_hh_packed, 0.0f,
                          dh_next + n0 * H, H);
    }
  });
}
}  // namespace

void lstm_backward(const float* x, const float* w_ih, const float* w_hh, const float* h, const float* c,
                   const float* gates, const float* dh, float* dx, float* dw_ih, float* dw_hh, float* db,
                   const LstmShape& s, int most_threads) {
  const int64_t N = s.batch, T = s.steps, F = s.input, H = s.hidden, G = 4 * H;
  float* da = grow_scratch(t_da, N * T * G);  // [N, T, G], pre-activation gradients of every step
  gate_gradients(w_hh, c, gates, dh, da, s, most_threads);
  if (db)
    for (int64_t r = 0; r < N * T; ++r)
      for (int64_t g = 0; g < G; ++g) db[g] += da[r * G + g];
  if (dw_ih) sgemm(true, false, G, F, N * T, 1.0f, da, G, x, F, 1.0f, dw_ih, F, most_threads);  // sum over (n, t) of da^T x
  if (dx) sgemm(false, false, N * T, F, G, 1.0f, da, G, w_ih, F, 1.0f, dx, F, most_threads);
  if (dw_hh && T > 1) {
    // h shifted one step (zero at t = 0) pairs every da[n, t] with h[n, t - 1]: one GEMM.
    float* h_prev = grow_scratch(t_h_prev, N * T * H);
    for (int64_t n = 0; n < N; ++n) {
      std::fill(h_prev + n * T * H, h_prev + (n * T + 1) * H, 0.0f);
      std::copy(h + n * T * H, h + (n * T + T - 1) * H, h_prev + (n * T + 1) * H);
    }
    sgemm(true, false, G, H, N * T, 1.0f, da, G, h_prev, H, 1.0f, dw_hh, H, most_threads);
  }
}

}  // namespace ser::nn
