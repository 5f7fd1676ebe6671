#include "nn/kernels/winograd.hpp"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "nn/kernels/gemm.hpp"
#include "nn/kernels/pool.hpp"
#include "nn/kernels/scratch.hpp"

namespace ser::nn {

namespace {

// The transforms of F(2x2, 3x3), as Lavin and Gray give them:
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]   input tile d: B^T d B
//   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1] filter g:     G g G^T
//   A^T = [1 1 1 0; 0 1 -1 -1]                       product m:    A^T m A
// Each 2-D transform L X R with R = L^T applies L to the columns of X and
// then to the rows of the result; the functions below are L on one vector.
// The backward pass applies the transposes B, G^T and A the same way.
constexpr int kTile = 4, kPositions = kTile * kTile;

inline void bt(const float* v, float* o) {
  o[0] = v[0] - v[2], o[1] = v[1] + v[2], o[2] = v[2] - v[1], o[3] = v[1] - v[3];
}
inline void b(const float* v, float* o) {
  o[0] = v[0], o[1] = v[1] - v[2] + v[3], o[2] = v[1] + v[2] - v[0], o[3] = -v[3];
}
inline void g(const float* v, float* o) {
  o[0] = v[0], o[1] = 0.5f * (v[0] + v[1] + v[2]), o[2] = 0.5f * (v[0] - v[1] + v[2]), o[3] = v[2];
}
inline void gt(const float* v, float* o) {
  o[0] = v[0] + 0.5f * (v[1] + v[2]), o[1] = 0.5f * (v[1] - v[2]), o[2] = 0.5f * (v[1] + v[2]) + v[3];
}
inline void at(const float* v, float* o) { o[0] = v[0] + v[1] + v[2], o[1] = v[1] - v[2] - v[3]; }
inline void a(const float* v, float* o) { o[0] = v[0], o[1] = v[0] + v[1], o[2] = v[0] - v[1], o[3] = -v[1]; }

// out (R x R) = L in L^T for in (r x r): L applied to each column, then to
// each row. f maps r values to R.
template <int r, int R, typename F>
void transform2d(const float* in, float* out, F f) {
  float col[r], colout[R], mid[R][r];
  for (int j = 0; j < r; ++j) {
    for (int i = 0; i < r; ++i) col[i] = in[i * r + j];
    f(col, colout);
    for (int i = 0; i < R; ++i) mid[i][j] = colout[i];
  }
  for (int i = 0; i < R; ++i) f(mid[i], out + i * R);
}

// The tiles of one sample's output: 2x2 blocks, the last row and column of
// blocks cut short when the output has an odd size. Tile t of the batch is
// sample t / per_sample, block (t % per_sample) / cols, (t % per_sample) % cols.
struct Tiles {
  int64_t rows, cols, per_sample, total;
};
Tiles tiles_of(const Conv2dShape& s) {
  const int64_t rows = (s.out_h + 1) / 2, cols = (s.out_w + 1) / 2;
  return {rows, cols, rows * cols, s.batch * rows * cols};
}

thread_local std::vector<float> t_u, t_v, t_m, t_dv, t_du;

// U[xi][k][c] = (G w[k][c] G^T) at position xi, a block of (k, c) pairs at
// a time so that each position's values are stored as one contiguous run
// (one pair at a time stored to sixteen places 1 MB apart: at batch 1 that
// was a third of the FER CNN's time).
void transform_weights(const float* w, int64_t K, int64_t C, float* U, int threads) {
  constexpr int64_t kBlock = 64;
  const int64_t kc_count = K * C, blocks = (kc_count + kBlock - 1) / kBlock;
#pragma omp parallel for num_threads(batch_threads(blocks, threads)) schedule(static)
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const int64_t kc0 = blk * kBlock, n = std::min(kBlock, kc_count - kc0);
    float u[kPositions][kBlock], one[kPositions];
    for (int64_t i = 0; i < n; ++i) {
      transform2d<3, 4>(w + (kc0 + i) * 9, one, g);
      for (int xi = 0; xi < kPositions; ++xi) u[xi][i] = one[xi];
    }
    for (int xi = 0; xi < kPositions; ++xi) std::copy(u[xi], u[xi] + n, U + xi * kc_count + kc0);
  }
}

// V[xi][c][t] = (B^T d B) at xi, d the 4x4 input block of tile t in channel
// c (zeros where it reaches past the input).
void transform_input(const float* x, const Conv2dShape& s, const Tiles& t, float* V, int threads) {
  const int64_t C = s.in_channels, plane = s.in_h * s.in_w, ct = C * t.total;
#pragma omp parallel for num_threads(batch_threads(C * s.batch, threads)) schedule(static)
  for (int64_t cn = 0; cn < C * s.batch; ++cn) {  // channel-major: each position's run over the batch's tiles in turn
    const int64_t c = cn / s.batch, n = cn % s.batch, nc = n * C + c;
    const float* xp = x + nc * plane;
    float d[kPositions], v[kPositions];
    for (int64_t tr = 0; tr < t.rows; ++tr)
      for (int64_t tc = 0; tc < t.cols; ++tc) {
        const int64_t r0 = 2 * tr - s.pad_top, c0 = 2 * tc - s.pad_left;
        for (int i = 0; i < kTile; ++i)
          for (int j = 0; j < kTile; ++j) {
            const int64_t r = r0 + i, col = c0 + j;
            d[i * kTile + j] = r >= 0 && r < s.in_h && col >= 0 && col < s.in_w ? xp[r * s.in_w + col] : 0.0f;
          }
        transform2d<4, 4>(d, v, bt);
        const int64_t tile = n * t.per_sample + tr * t.cols + tc;
        for (int xi = 0; xi < kPositions; ++xi) V[xi * ct + c * t.total + tile] = v[xi];
      }
  }
}

// The 16 products: out[xi] = op(A[xi]) op(B[xi]) for every position.
void products(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, int64_t a_step,
              const float* B, int64_t ldb, int64_t b_step, float* out, int64_t out_step, int threads) {
  for (int xi = 0; xi < kPositions; ++xi)
    sgemm(ta, tb, M, N, K, 1.0f, A + xi * a_step, lda, B + xi * b_step, ldb, 0.0f, out + xi * out_step, N, threads);
}
}  // namespace

bool winograd_applies(const Conv2dShape& s) {
  // Per tile the GEMMs do 32 C K flops and the transformed tiles move
  // 16 (C + K) floats through memory twice: below C K / (C + K) = 64 the
  // traffic costs more than the flops save. With every 3x3 layer of at
  // least 16 channels on this path, the FER CNN (32 -> 64, 64 -> 128,
  // 128 -> 128) trained 13-23% slower and predicted batches of 64 35-40%
  // slower than on the implicit path; the batch-norm CNN's 128 -> 512 and
  // 512 -> 512 layers run 1.5-2.3x faster (bench/README.md).
  const bool wide = s.in_channels * s.out_channels > 64 * (s.in_channels + s.out_channels);
  return s.kernel_h == 3 && s.kernel_w == 3 && s.stride_h == 1 && s.stride_w == 1 && s.dilation_h == 1 &&
         s.dilation_w == 1 && s.in_h > 1 && s.out_h >= 2 && s.out_w >= 2 && wide;
}

void conv2d_winograd_forward(const float* x, const float* w, const float* bias, float* y, const Conv2dShape& s,
                             bool relu, int threads) {
  const int64_t K = s.out_channels, C = s.in_channels, out_plane = s.out_h * s.out_w;
  const Tiles t = tiles_of(s);
  const int64_t kt = K * t.total;
  float* U = grow_scratch(t_u, kPositions * K * C);
  float* V = grow_scratch(t_v, kPositions * C * t.total);
  float* M = grow_scratch(t_m, kPositions * kt);
  transform_weights(w, K, C, U, threads);
  transform_input(x, s, t, V, threads);
  products(false, false, K, t.total, C, U, C, K * C, V, t.total, C * t.total, M, kt, threads);
  // y = A^T m A + bias (relu'd if asked), the part of each 2x2 block inside the output.
#pragma omp parallel for num_threads(batch_threads(K * s.batch, threads)) schedule(static)
  for (int64_t kn = 0; kn < K * s.batch; ++kn) {  // channel-major: each position's run over the batch's tiles in turn
    const int64_t k = kn / s.batch, n = kn % s.batch, nk = n * K + k;
    float* yp = y + nk * out_plane;
    const float b0 = bias ? bias[k] : 0.0f;
    float m[kPositions], o[4];
    for (int64_t tr = 0; tr < t.rows; ++tr)
      for (int64_t tc = 0; tc < t.cols; ++tc) {
        const int64_t tile = n * t.per_sample + tr * t.cols + tc;
        for (int xi = 0; xi < kPositions; ++xi) m[xi] = M[xi * kt + k * t.total + tile];
        transform2d<4, 2>(m, o, at);
        for (int i = 0; i < 2; ++i)
          for (int j = 0; j < 2; ++j) {
            const int64_t r = 2 * tr + i, c = 2 * tc + j;
            if (r >= s.out_h || c >= s.out_w) continue;
            const float v = o[i * 2 + j] + b0;
            yp[r * s.out_w + c] = relu && !(v > 0.0f) ? 0.0f : v;
          }
      }
  }
}

namespace {
// dM[xi][k][t] = (A dz A^T) at xi, dz the tile's 2x2 block of the output
// gradient (masked by the fused relu's output; zeros past the output).
void transform_output_grad(const float* dy, const float* relu_y, const Conv2dShape& s, const Tiles& t, float* dM,
                           int threads) {
  const int64_t K = s.out_channels, out_plane = s.out_h * s.out_w, kt = K * t.total;
#pragma omp parallel for num_threads(batch_threads(K * s.batch, threads)) schedule(static)
  for (int64_t kn = 0; kn < K * s.batch; ++kn) {  // channel-major: each position's run over the batch's tiles in turn
    const int64_t k = kn / s.batch, n = kn % s.batch, nk = n * K + k;
    const float* d = dy + nk * out_plane;
    const float* yr = relu_y ? relu_y + nk * out_plane : nullptr;
    float z[4], m[kPositions];
    for (int64_t tr = 0; tr < t.rows; ++tr)
      for (int64_t tc = 0; tc < t.cols; ++tc) {
        for (int i = 0; i < 2; ++i)
          for (int j = 0; j < 2; ++j) {
            const int64_t r = 2 * tr + i, c = 2 * tc + j, at_rc = r * s.out_w + c;
            const bool inside = r < s.out_h && c < s.out_w;
            z[i * 2 + j] = inside && (!yr || yr[at_rc] > 0.0f) ? d[at_rc] : 0.0f;
          }
        transform2d<2, 4>(z, m, a);
        const int64_t tile = n * t.per_sample + tr * t.cols + tc;
        for (int xi = 0; xi < kPositions; ++xi) dM[xi * kt + k * t.total + tile] = m[xi];
      }
  }
}

// db[k] (+)= the sum of the masked output gradient over the batch, sample
// by sample and row by row.
void bias_grad(const float* dy, const float* relu_y, const Conv2dShape& s, float* db, bool overwrite, int threads) {
  const int64_t K = s.out_channels, out_plane = s.out_h * s.out_w;
#pragma omp parallel for num_threads(batch_threads(K, threads)) schedule(static)
  for (int64_t k = 0; k < K; ++k) {
    float sum = 0.0f;
    for (int64_t n = 0; n < s.batch; ++n) {
      const int64_t at_nk = (n * K + k) * out_plane;
      for (int64_t i = 0; i < out_plane; ++i)
        if (!relu_y || relu_y[at_nk + i] > 0.0f) sum += dy[at_nk + i];
    }
    db[k] = overwrite ? sum : db[k] + sum;
  }
}

// dx (+)= B dv B^T of every tile, added where its 4x4 block lies inside the
// input, tile by tile in order within each plane.
void input_grad(const float* dV, const Conv2dShape& s, const Tiles& t, float* dx, bool overwrite, int threads) {
  const int64_t C = s.in_channels, plane = s.in_h * s.in_w, ct = C * t.total;
#pragma omp parallel for num_threads(batch_threads(C * s.batch, threads)) schedule(static)
  for (int64_t cn = 0; cn < C * s.batch; ++cn) {  // channel-major: each position's run over the batch's tiles in turn
    const int64_t c = cn / s.batch, n = cn % s.batch, nc = n * C + c;
    float* xp = dx + nc * plane;
    if (overwrite) std::fill(xp, xp + plane, 0.0f);
    float v[kPositions], d[kPositions];
    for (int64_t tr = 0; tr < t.rows; ++tr)
      for (int64_t tc = 0; tc < t.cols; ++tc) {
        const int64_t tile = n * t.per_sample + tr * t.cols + tc;
        for (int xi = 0; xi < kPositions; ++xi) v[xi] = dV[xi * ct + c * t.total + tile];
        transform2d<4, 4>(v, d, b);
        const int64_t r0 = 2 * tr - s.pad_top, c0 = 2 * tc - s.pad_left;
        for (int i = 0; i < kTile; ++i)
          for (int j = 0; j < kTile; ++j) {
            const int64_t r = r0 + i, col = c0 + j;
            if (r >= 0 && r < s.in_h && col >= 0 && col < s.in_w) xp[r * s.in_w + col] += d[i * kTile + j];
          }
      }
  }
}

// dw[k][c] (+)= G^T du G, du the 16 positions of dU[.][k][c].
void weight_grad(const float* dU, int64_t K, int64_t C, float* dw, bool overwrite, int threads) {
  const int64_t kc_count = K * C;
#pragma omp parallel for num_threads(batch_threads(kc_count, threads)) schedule(static)
  for (int64_t kc = 0; kc < kc_count; ++kc) {
    float u[kPositions], gw[9];
    for (int xi = 0; xi < kPositions; ++xi) u[xi] = dU[xi * kc_count + kc];
    transform2d<4, 3>(u, gw, gt);
    float* out = dw + kc * 9;
    for (int i = 0; i < 9; ++i) out[i] = overwrite ? gw[i] : out[i] + gw[i];
  }
}
}  // namespace

void conv2d_winograd_backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db,
                              const Conv2dShape& s, const float* relu_y, Overwrite overwrite, int threads) {
  const int64_t K = s.out_channels, C = s.in_channels;
  const Tiles t = tiles_of(s);
  if (db) bias_grad(dy, relu_y, s, db, overwrite.params, threads);
  if (!dx && !dw) return;
  float* dM = grow_scratch(t_m, kPositions * K * t.total);
  transform_output_grad(dy, relu_y, s, t, dM, threads);
  if (dx) {
    float* U = grow_scratch(t_u, kPositions * K * C);
    float* dV = grow_scratch(t_dv, kPositions * C * t.total);
    transform_weights(w, K, C, U, threads);
    products(true, false, C, t.total, K, U, C, K * C, dM, t.total, K * t.total, dV, C * t.total, threads);
    input_grad(dV, s, t, dx, overwrite.dx, threads);
  }
  if (dw) {
    float* V = grow_scratch(t_v, kPositions * C * t.total);
    float* dU = grow_scratch(t_du, kPositions * K * C);
    transform_input(x, s, t, V, threads);
    products(false, true, K, C, t.total, dM, t.total, K * t.total, V, t.total, C * t.total, dU, K * C, threads);
    weight_grad(dU, K, C, dw, overwrite.params, threads);
  }
}

namespace {
thread_local std::vector<float> t_conv_out;

// The pool over every sample's planes at once.
Pool2dShape batch_pool(const Pool2dShape& p, int64_t batch) {
  Pool2dShape all = p;
  all.planes = p.planes * batch;
  return all;
}
}  // namespace

void conv2d_winograd_relu_maxpool_forward(const float* x, const float* w, const float* b, float* pooled,
                                          int32_t* argmax, const Conv2dShape& s, const Pool2dShape& p, int threads) {
  float* y = grow_scratch(t_conv_out, s.batch * s.out_channels * s.out_h * s.out_w);
  conv2d_winograd_forward(x, w, b, y, s, true, threads);
  maxpool2d_forward(y, pooled, argmax, batch_pool(p, s.batch), threads);
}

void conv2d_winograd_relu_maxpool_backward(const float* x, const float* w, const float* pooled, const int32_t* argmax,
                                           const float* dpooled, float* dx, float* dw, float* db, const Conv2dShape& s,
                                           const Pool2dShape& p, Overwrite overwrite, int threads) {
  // dz: zero but at each window's winner, which gets the window's gradient if
  // its relu output (the pooled value) is positive, window by window: what
  // max-pool backward and then relu's mask give.
  const int64_t out_plane = s.out_h * s.out_w, pooled_plane = p.out_h * p.out_w;
  const int64_t planes = s.batch * s.out_channels;
  float* dz = grow_scratch(t_conv_out, planes * out_plane);
#pragma omp parallel for num_threads(batch_threads(planes, threads)) schedule(static)
  for (int64_t plane = 0; plane < planes; ++plane) {
    float* out = dz + plane * out_plane;
    std::fill(out, out + out_plane, 0.0f);
    for (int64_t o = plane * pooled_plane; o < (plane + 1) * pooled_plane; ++o)
      out[argmax[o]] += relu_masked_gradient(dpooled, pooled, o);
  }
  conv2d_winograd_backward(x, w, dz, dx, dw, db, s, nullptr, overwrite, threads);
}

}  // namespace ser::nn
