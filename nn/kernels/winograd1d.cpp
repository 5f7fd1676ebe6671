#include "nn/kernels/winograd1d.hpp"

#include <omp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "nn/kernels/gemm.hpp"
#include "nn/kernels/lanes.hpp"
#include "nn/kernels/scratch.hpp"

namespace ser::nn {

namespace {

constexpr int kPoints = 8;  // alpha = m + r - 1
constexpr int kTile = 4;    // m: outputs per tile
constexpr int kKernel = kPoints + 1 - kTile;

// Eight tiles' values q = 0..3 out of 32 consecutive ones: d[q][l] =
// v[4 l + q]. Two rounds of two-source shuffles (a strided copy value by
// value was a fifth of the path's time); shufflevector, with constant
// lanes, is what both GCC and clang (the sanitizer build) take.
inline void deinterleave(const float* v, Lanes d[kTile]) {
  const Lanes a0 = load_lanes(v), a1 = load_lanes(v + 8), a2 = load_lanes(v + 16), a3 = load_lanes(v + 24);
  const Lanes b0 = __builtin_shufflevector(a0, a1, 0, 4, 8, 12, 1, 5, 9, 13);  // q = 0, 1 of tiles 0-3
  const Lanes b1 = __builtin_shufflevector(a0, a1, 2, 6, 10, 14, 3, 7, 11, 15);  // q = 2, 3
  const Lanes b2 = __builtin_shufflevector(a2, a3, 0, 4, 8, 12, 1, 5, 9, 13);  // tiles 4-7
  const Lanes b3 = __builtin_shufflevector(a2, a3, 2, 6, 10, 14, 3, 7, 11, 15);
  d[0] = __builtin_shufflevector(b0, b2, 0, 1, 2, 3, 8, 9, 10, 11);
  d[1] = __builtin_shufflevector(b0, b2, 4, 5, 6, 7, 12, 13, 14, 15);
  d[2] = __builtin_shufflevector(b1, b3, 0, 1, 2, 3, 8, 9, 10, 11);
  d[3] = __builtin_shufflevector(b1, b3, 4, 5, 6, 7, 12, 13, 14, 15);
}

// The inverse: v[4 l + i] = o[i][l], as four vectors of consecutive values.
inline void interleave(const Lanes o[kTile], Lanes v[kTile]) {
  const Lanes c0 = __builtin_shufflevector(o[0], o[1], 0, 8, 1, 9, 2, 10, 3, 11);  // i = 0, 1 of tiles 0-3
  const Lanes c1 = __builtin_shufflevector(o[0], o[1], 4, 12, 5, 13, 6, 14, 7, 15);  // tiles 4-7
  const Lanes c2 = __builtin_shufflevector(o[2], o[3], 0, 8, 1, 9, 2, 10, 3, 11);  // i = 2, 3
  const Lanes c3 = __builtin_shufflevector(o[2], o[3], 4, 12, 5, 13, 6, 14, 7, 15);
  v[0] = __builtin_shufflevector(c0, c2, 0, 1, 8, 9, 2, 3, 10, 11);
  v[1] = __builtin_shufflevector(c0, c2, 4, 5, 12, 13, 6, 7, 14, 15);
  v[2] = __builtin_shufflevector(c1, c3, 0, 1, 8, 9, 2, 3, 10, 11);
  v[3] = __builtin_shufflevector(c1, c3, 4, 5, 12, 13, 6, 7, 14, 15);
}

// F(4, 5): y = A^T [(G g) . (B^T d)] for a tile d of 8 inputs, filter g of
// 5 taps and 4 outputs y.
struct Algorithm {
  float bt[kPoints][kPoints] = {};  // bt[p][q]: input value q into point p
  float at[kTile][kPoints] = {};    // at[i][p]: point p into output i
  double g[kPoints][kKernel] = {};  // g[p][i]: filter tap i into point p
};

using Square = std::array<std::array<double, kPoints>, kPoints>;

// Gauss-Jordan with partial pivoting (the matrix below is a Vandermonde
// matrix of distinct points, so it is invertible), once per process. Not
// Eigen's inverse, though ser_nn links Eigen: GCC 12 then gives its false
// uninitialised-value warnings inside the AVX-512 intrinsics, which this
// kernel file would have to switch off (as init.cpp does for Eigen's QR).
Square inverse(Square a) {
  Square inv{};
  for (int i = 0; i < kPoints; ++i) inv[i][i] = 1;
  for (int col = 0; col < kPoints; ++col) {
    int pivot = col;
    for (int row = col + 1; row < kPoints; ++row)
      if (std::abs(a[row][col]) > std::abs(a[pivot][col])) pivot = row;
    std::swap(a[col], a[pivot]);
    std::swap(inv[col], inv[pivot]);
    const double scale = 1.0 / a[col][col];
    for (int k = 0; k < kPoints; ++k) a[col][k] *= scale, inv[col][k] *= scale;
    for (int row = 0; row < kPoints; ++row) {
      if (row == col) continue;
      const double f = a[row][col];
      for (int k = 0; k < kPoints; ++k) a[row][k] -= f * a[col][k], inv[row][k] -= f * inv[col][k];
    }
  }
  return inv;
}

// Toom-Cook: the filter and the tile's outputs are polynomials evaluated
// at the points (infinity: the leading coefficient), multiplied pointwise,
// and B^T is the transpose of the interpolation (the inverse of evaluating
// all 8 coefficients). Each row of B^T is scaled to a largest entry of 1
// and G's row by the same factor: the fractions go to the filters, which
// are transformed once in double.
Algorithm make_algorithm() {
  constexpr double kFinite[kPoints - 1] = {0, 1, -1, 2, -2, 0.5, -0.5};
  Algorithm a;
  Square values{};
  for (int p = 0; p < kPoints - 1; ++p)
    for (int k = 0; k < kPoints; ++k) values[p][k] = std::pow(kFinite[p], k);
  values[kPoints - 1][kPoints - 1] = 1;
  const Square interpolate = inverse(values);
  for (int p = 0; p < kPoints; ++p) {
    double largest = 0;
    for (int q = 0; q < kPoints; ++q) largest = std::max(largest, std::abs(interpolate[q][p]));
    for (int q = 0; q < kPoints; ++q) a.bt[p][q] = static_cast<float>(interpolate[q][p] / largest);
    for (int i = 0; i < kKernel; ++i)
      a.g[p][i] = largest * (p < kPoints - 1 ? std::pow(kFinite[p], i) : i == kKernel - 1);
    for (int i = 0; i < kTile; ++i)
      a.at[i][p] = static_cast<float>(p < kPoints - 1 ? std::pow(kFinite[p], i) : i == kTile - 1);
  }
  return a;
}

const Algorithm& algorithm() {
  static const Algorithm f4_5 = make_algorithm();
  return f4_5;
}

std::atomic<bool> g_enabled{true};

// One pass of the algorithm: in [batch][cin][lin] to out [batch][cout][lout],
// out[u] = sum over taps i of in[u + i - pad] (zero outside the input) times
// the filter. The weights' transform comes separately (transform_filters).
struct Pass {
  const Algorithm& alg;
  int64_t batch, cin, lin, cout, lout, pad;
};

// Tiles per sample (the last one cut where lout is not a multiple of 4),
// rounded up to whole vectors in the buffers; the length of a padded row (a
// tile reads one tile's width past its start); samples per chunk (about
// kChunkTiles tiles, so that a chunk's transformed tiles stay a few MB), and
// the row stride of the buffers. A point's block of rows starts kSkew
// floats past a multiple of the block, off the cache-set strides.
struct Chunks {
  int64_t tiles, padded, row, samples, ld, stride_in, stride_out;
};
constexpr int64_t kChunkTiles = 1024, kSkew = 16;

Chunks chunks_of(const Pass& p) {
  Chunks c;
  c.tiles = (p.lout + kTile - 1) / kTile;
  c.padded = (c.tiles + kLanes - 1) / kLanes * kLanes;
  c.row = (c.padded + 1) * kTile;
  c.samples = std::clamp<int64_t>(kChunkTiles / c.padded, 1, p.batch);
  c.ld = c.samples * c.padded;
  c.stride_in = p.cin * c.ld + kSkew;
  c.stride_out = p.cout * c.ld + kSkew;
  return c;
}

// row[u - pad] into xp[0, size) (zero outside the row; with a mask, zero
// where mask <= 0: relu's), so that tile t's values start at xp + 4 t.
void padded_row(const float* row, const float* mask, int64_t len, int64_t pad, int64_t size, float* xp) {
  const int64_t lo = std::min(pad, size), hi = std::min(pad + len, size);
  std::fill(xp, xp + lo, 0.0f);
  const float* src = row - pad;
  if (mask) {
    const float* m = mask - pad;
    for (int64_t i = lo; i < hi; ++i) xp[i] = m[i] > 0.0f ? src[i] : 0.0f;
  } else {
    std::copy(src + lo, src + hi, xp + lo);
  }
  std::fill(xp + hi, xp + size, 0.0f);
}

// out[u] (=, or +=) v + bias, relu'd, for the 32 outputs of eight tiles
// from u0 (fewer at the row's end).
void put_outputs(const Lanes v[kTile], int64_t u0, int64_t len, float bias, bool relu, bool accumulate, float* out) {
  if (u0 + kTile * kLanes <= len) {
    for (int i = 0; i < kTile; ++i) {
      Lanes o = v[i] + bias;
      if (relu) o = o > 0.0f ? o : 0.0f;
      float* at = out + u0 + i * kLanes;
      store_lanes(at, accumulate ? load_lanes(at) + o : o);
    }
    return;
  }
  float flat[kTile * kLanes];
  std::memcpy(flat, v, sizeof flat);
  for (int64_t u = u0; u < len; ++u) {
    float o = flat[u - u0] + bias;
    if (relu) o = o > 0.0f ? o : 0.0f;
    out[u] = accumulate ? out[u] + o : o;
  }
}

// work(pair, xp) for each of `pairs` (sample, channel) pairs over the
// threads, xp a buffer of `row` floats per thread; every pair writes its
// own outputs, so no bit depends on which thread ran it.
template <typename Work>
void for_pairs(int64_t pairs, int64_t row, int threads, const Work& work) {
#pragma omp parallel num_threads(batch_threads(pairs, threads))
  {
    thread_local std::vector<float> t_row;
    float* xp = grow_scratch(t_row, row);
#pragma omp for schedule(static)
    for (int64_t pair = 0; pair < pairs; ++pair) work(pair, xp);
  }
}

// V[p][c][tile] = (B^T d)[p] for the tiles of samples [n0, n1).
void transform_inputs(const Pass& p, const Chunks& ck, const float* in, const float* mask, int64_t n0, int64_t n1,
                      float* V, int threads) {
  const Algorithm& a = p.alg;
  for_pairs((n1 - n0) * p.cin, ck.row, threads, [&](int64_t pair, float* xp) {
    const int64_t n = n0 + pair / p.cin, c = pair % p.cin, at = (n * p.cin + c) * p.lin;
    padded_row(in + at, mask ? mask + at : nullptr, p.lin, p.pad, ck.row, xp);
    float* dst = V + c * ck.ld + (n - n0) * ck.padded;
    for (int64_t j = 0; j < ck.padded; j += kLanes) {
      Lanes d[kPoints];  // input q of tiles j..j+7; q >= 4 is the next tile's q - 4
      deinterleave(xp + j * kTile, d);
      deinterleave(xp + (j + 1) * kTile, d + kTile);
      for (int pt = 0; pt < kPoints; ++pt) {
        Lanes v = d[0] * a.bt[pt][0];
        for (int q = 1; q < kPoints; ++q) v += d[q] * a.bt[pt][q];
        store_lanes(dst + pt * ck.stride_in + j, v);
      }
    }
  });
}

// U[p][o][i] = (G g)[p] for every filter, o the output channel of the pass,
// i its input channel: w [K][C][r] as stored, or (turned) w[k][c] reversed
// as the filter from channel k into channel c.
void transform_filters(const Algorithm& a, const float* w, int64_t K, int64_t C, bool turned, float* U, int threads) {
  const int64_t rows = turned ? C : K, cols = turned ? K : C, r = kKernel;
#pragma omp parallel for num_threads(batch_threads(rows, threads)) schedule(static)
  for (int64_t o = 0; o < rows; ++o)
    for (int64_t i = 0; i < cols; ++i) {
      const float* taps = turned ? w + (i * C + o) * r : w + (o * C + i) * r;
      for (int pt = 0; pt < kPoints; ++pt) {
        double sum = 0;
        for (int64_t k = 0; k < r; ++k) sum += a.g[pt][k] * taps[turned ? r - 1 - k : k];
        U[(pt * rows + o) * cols + i] = static_cast<float>(sum);
      }
    }
}

// out[k][u] (=, or +=) (A^T M)[u % 4] + bias, relu'd, for samples [n0, n1).
void transform_outputs(const Pass& p, const Chunks& ck, const float* M, const float* bias, bool relu, bool accumulate,
                       int64_t n0, int64_t n1, float* out, int threads) {
  const Algorithm& a = p.alg;
  const int64_t pairs = (n1 - n0) * p.cout;
#pragma omp parallel for num_threads(batch_threads(pairs, threads)) schedule(static)
  for (int64_t pair = 0; pair < pairs; ++pair) {
    const int64_t n = n0 + pair / p.cout, k = pair % p.cout;
    const float* src = M + k * ck.ld + (n - n0) * ck.padded;
    float* dst = out + (n * p.cout + k) * p.lout;
    const float b = bias ? bias[k] : 0.0f;
    for (int64_t j = 0; j < ck.padded && j * kTile < p.lout; j += kLanes) {
      Lanes mp[kPoints], o[kTile], v[kTile];
      for (int pt = 0; pt < kPoints; ++pt) mp[pt] = load_lanes(src + pt * ck.stride_out + j);
      for (int i = 0; i < kTile; ++i) {
        o[i] = mp[0] * a.at[i][0];
        for (int pt = 1; pt < kPoints; ++pt) o[i] += mp[pt] * a.at[i][pt];
      }
      interleave(o, v);
      put_outputs(v, j * kTile, p.lout, b, relu, accumulate, dst);
    }
  }
}

thread_local std::vector<float> t_u, t_v, t_m, t_du;

// The whole pass, chunk by chunk: inputs transformed, 8 GEMMs, outputs.
// U: the filters as transform_filters left them.
void run_pass(const Pass& p, const float* in, const float* mask, const float* U, const float* bias, bool relu,
              bool accumulate, float* out, int threads) {
  const Chunks ck = chunks_of(p);
  float* V = grow_scratch(t_v, kPoints * ck.stride_in);
  float* M = grow_scratch(t_m, kPoints * ck.stride_out);
  for (int64_t n0 = 0; n0 < p.batch; n0 += ck.samples) {
    const int64_t n1 = std::min(p.batch, n0 + ck.samples), cols = (n1 - n0) * ck.padded;
    transform_inputs(p, ck, in, mask, n0, n1, V, threads);
    for (int pt = 0; pt < kPoints; ++pt)
      sgemm(false, false, p.cout, cols, p.cin, 1.0f, U + pt * p.cout * p.cin, p.cin, V + pt * ck.stride_in, ck.ld,
            0.0f, M + pt * ck.stride_out, ck.ld, threads);
    transform_outputs(p, ck, M, bias, relu, accumulate, n0, n1, out, threads);
  }
}

Pass forward_pass(const Conv2dShape& s) {
  return {algorithm(), s.batch, s.in_channels, s.in_w, s.out_channels, s.out_w, s.pad_left};
}

// dM[p][k][tile] = (A dy)[p] of each tile of the output gradient (relu's
// mask applied), and each (sample, channel)'s sum of that gradient, for the
// bias, in `sums` [n - n0][k].
void transform_output_grads(const Pass& p, const Chunks& ck, const float* dy, const float* relu_y, int64_t n0,
                            int64_t n1, float* dM, float* sums, int threads) {
  const Algorithm& a = p.alg;
  for_pairs((n1 - n0) * p.cout, ck.row, threads, [&](int64_t pair, float* gp) {
    const int64_t n = n0 + pair / p.cout, k = pair % p.cout, at = (n * p.cout + k) * p.lout;
    padded_row(dy + at, relu_y ? relu_y + at : nullptr, p.lout, 0, ck.row, gp);  // tiles start at their outputs
    float* dst = dM + k * ck.ld + (n - n0) * ck.padded;
    Lanes total = {};
    for (int64_t j = 0; j < ck.padded; j += kLanes) {
      Lanes g[kTile];
      deinterleave(gp + j * kTile, g);
      for (int i = 0; i < kTile; ++i) total += g[i];
      for (int pt = 0; pt < kPoints; ++pt) {
        Lanes v = g[0] * a.at[0][pt];
        for (int i = 1; i < kTile; ++i) v += g[i] * a.at[i][pt];
        store_lanes(dst + pt * ck.stride_out + j, v);
      }
    }
    float sum = 0.0f;
    for (int l = 0; l < kLanes; ++l) sum += total[l];
    sums[pair] = sum;
  });
}

// dw[k][c][i] (=, or +=) (G^T dU[.][k][c])[i].
void filter_grads(const Algorithm& a, const float* dU, int64_t K, int64_t C, float* dw, bool overwrite, int threads) {
#pragma omp parallel for num_threads(batch_threads(K, threads)) schedule(static)
  for (int64_t k = 0; k < K; ++k)
    for (int64_t c = 0; c < C; ++c)
      for (int i = 0; i < kKernel; ++i) {
        double sum = 0;
        for (int pt = 0; pt < kPoints; ++pt) sum += a.g[pt][i] * dU[(pt * K + k) * C + c];
        float& d = dw[(k * C + c) * kKernel + i];
        d = overwrite ? static_cast<float>(sum) : d + static_cast<float>(sum);
      }
}

// dw and db: the transposes of forward's steps, the GEMMs summing over the
// tiles of each chunk and adding the chunks in order.
void weight_grads(const Conv2dShape& s, const float* x, const float* dy, const float* relu_y, float* dw, float* db,
                  bool overwrite, int threads) {
  const Pass p = forward_pass(s);
  const Chunks ck = chunks_of(p);
  float* V = grow_scratch(t_v, kPoints * ck.stride_in);
  float* dM = grow_scratch(t_m, kPoints * ck.stride_out);
  float* dU = grow_scratch(t_du, kPoints * p.cout * p.cin);
  std::vector<float> sums(static_cast<size_t>(p.batch * p.cout));
  for (int64_t n0 = 0; n0 < p.batch; n0 += ck.samples) {
    const int64_t n1 = std::min(p.batch, n0 + ck.samples), cols = (n1 - n0) * ck.padded;
    transform_output_grads(p, ck, dy, relu_y, n0, n1, dM, sums.data() + n0 * p.cout, threads);
    if (!dw) continue;
    transform_inputs(p, ck, x, nullptr, n0, n1, V, threads);
    for (int pt = 0; pt < kPoints; ++pt)
      sgemm(false, true, p.cout, p.cin, cols, 1.0f, dM + pt * ck.stride_out, ck.ld, V + pt * ck.stride_in, ck.ld,
            n0 == 0 ? 0.0f : 1.0f, dU + pt * p.cout * p.cin, p.cin, threads);
  }
  if (dw) filter_grads(p.alg, dU, p.cout, p.cin, dw, overwrite, threads);
  if (db)
    for (int64_t k = 0; k < p.cout; ++k) {
      float sum = 0.0f;
      for (int64_t n = 0; n < p.batch; ++n) sum += sums[static_cast<size_t>(n * p.cout + k)];
      db[k] = overwrite ? sum : db[k] + sum;
    }
}

}  // namespace

bool winograd1d_applies(const Conv2dShape& s) {
  return g_enabled.load(std::memory_order_relaxed) && s.in_h == 1 && s.kernel_h == 1 && s.out_h == 1 &&
         s.pad_top == 0 && s.stride_w == 1 && s.dilation_w == 1 && s.kernel_w == kKernel &&
         s.pad_left >= 0 && s.pad_left < s.kernel_w && s.in_channels >= 64 && s.out_channels >= 64;
}

void set_winograd1d_enabled(bool on) { g_enabled.store(on, std::memory_order_relaxed); }

void conv1d_winograd_forward(const float* x, const float* w, const float* b, float* y, const Conv2dShape& s, bool relu,
                             int threads) {
  const Pass p = forward_pass(s);
  float* U = grow_scratch(t_u, kPoints * p.cout * p.cin);
  transform_filters(p.alg, w, p.cout, p.cin, false, U, threads);
  run_pass(p, x, nullptr, U, b, relu, false, y, threads);
}

void conv1d_winograd_backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db,
                              const Conv2dShape& s, const float* relu_y, Overwrite overwrite, int threads) {
  if (dx) {  // a forward from the output gradient to the input through the turned filters
    const Pass p{algorithm(), s.batch, s.out_channels, s.out_w, s.in_channels, s.in_w,
                 s.kernel_w - 1 - s.pad_left};
    float* U = grow_scratch(t_u, kPoints * p.cout * p.cin);
    transform_filters(p.alg, w, s.out_channels, s.in_channels, true, U, threads);
    run_pass(p, dy, relu_y, U, nullptr, false, !overwrite.dx, dx, threads);
  }
  if (dw || db) weight_grads(s, x, dy, relu_y, dw, db, overwrite.params, threads);
}

}  // namespace ser::nn
