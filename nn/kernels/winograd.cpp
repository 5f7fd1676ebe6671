#include "nn/kernels/winograd.hpp"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "nn/kernels/gemm.hpp"
#include "nn/kernels/lanes.hpp"
#include "nn/kernels/pool.hpp"
#include "nn/kernels/scratch.hpp"
#include "nn/kernels/vector_math.hpp"

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

template <typename T>
inline void bt(const T* v, T* o) {
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
template <typename T>
inline void at(const T* v, T* o) { o[0] = v[0] + v[1] + v[2], o[1] = v[1] - v[2] - v[3]; }
template <typename T>
inline void a(const T* v, T* o) { o[0] = v[0], o[1] = v[0] + v[1], o[2] = v[0] - v[1], o[3] = -v[1]; }

// The blocked forward's two algorithms, each a kernel size, its tile and
// its three transforms.
struct F2x2_3x3 {
  static constexpr int kKernel = 3, kTile = 4, kPositions = kTile * kTile;
  template <typename T>
  static void input(const T* v, T* o) { bt(v, o); }
  static void filter(const float* v, float* o) { g(v, o); }
  template <typename T>
  static void output(const T* v, T* o) { at(v, o); }
  // The weight gradient's: A (2 values to the tile's 4) and G^T (4 to 3).
  template <typename T>
  static void output_grad(const T* v, T* o) { a(v, o); }
  static void filter_grad(const float* v, float* o) { gt(v, o); }
};

// F(2x2, 5x5) on the points 0, 1, -1, 2, -2 and infinity (the Toom-Cook
// construction, derived in exact fractions and checked there; the input
// transform is F(4x4, 3x3)'s):
//   B^T = [4 0 -5 0 1 0; 0 4 4 -1 -1 0; 0 -4 4 1 -1 0;
//          0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//   G   = [1/4 0 0 0 0; (1 1 1 1 1)/6; (1 -1 1 -1 1)/6;
//          (1 2 4 8 16)/24; (1 -2 4 -8 16)/24; 0 0 0 0 1]
//   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 1]
// 36 products for each 2x2 block instead of 100.
struct F2x2_5x5 {
  static constexpr int kKernel = 5, kTile = 6, kPositions = kTile * kTile;
  template <typename T>
  static void input(const T* v, T* o) {
    o[0] = 4.0f * v[0] - 5.0f * v[2] + v[4];
    o[1] = 4.0f * (v[1] + v[2]) - (v[3] + v[4]);
    o[2] = 4.0f * (v[2] - v[1]) + (v[3] - v[4]);
    o[3] = 2.0f * (v[3] - v[1]) + (v[4] - v[2]);
    o[4] = 2.0f * (v[1] - v[3]) + (v[4] - v[2]);
    o[5] = 4.0f * v[1] - 5.0f * v[3] + v[5];
  }
  static void filter(const float* v, float* o) {
    o[0] = v[0] / 4.0f;
    o[1] = (v[0] + v[1] + v[2] + v[3] + v[4]) / 6.0f;
    o[2] = (v[0] - v[1] + v[2] - v[3] + v[4]) / 6.0f;
    o[3] = (v[0] + 2.0f * v[1] + 4.0f * v[2] + 8.0f * v[3] + 16.0f * v[4]) / 24.0f;
    o[4] = (v[0] - 2.0f * v[1] + 4.0f * v[2] - 8.0f * v[3] + 16.0f * v[4]) / 24.0f;
    o[5] = v[4];
  }
  template <typename T>
  static void output(const T* v, T* o) {
    o[0] = v[0] + v[1] + v[2] + v[3] + v[4];
    o[1] = v[1] - v[2] + 2.0f * (v[3] - v[4]) + v[5];
  }
  // A (the transpose of A^T above: 2 values to 6) and G^T (6 to 5).
  template <typename T>
  static void output_grad(const T* v, T* o) {
    o[0] = v[0], o[1] = v[0] + v[1], o[2] = v[0] - v[1];
    o[3] = v[0] + 2.0f * v[1], o[4] = v[0] - 2.0f * v[1], o[5] = v[1];
  }
  static void filter_grad(const float* v, float* o) {
    const float sum12 = (v[1] + v[2]) / 6.0f, diff12 = (v[1] - v[2]) / 6.0f;
    const float sum34 = (v[3] + v[4]) / 24.0f, diff34 = (v[3] - v[4]) / 24.0f;
    o[0] = v[0] / 4.0f + sum12 + sum34;
    o[1] = diff12 + 2.0f * diff34;
    o[2] = sum12 + 4.0f * sum34;
    o[3] = diff12 + 8.0f * diff34;
    o[4] = sum12 + 16.0f * sum34 + v[5];
  }
};

// out (R x R) = L in L^T for in (r x r): L applied to each column, then to
// each row. f maps r values to R.
template <int r, int R, typename T = float, typename F>
void transform2d(const T* in, T* out, F f) {
  T col[r], colout[R], mid[R][r];
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

// The 16 products: out[xi] = op(A[xi]) op(B[xi]) for every position.
void products(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, int64_t a_step,
              const float* B, int64_t ldb, int64_t b_step, float* out, int64_t out_step, int threads) {
  for (int xi = 0; xi < kPositions; ++xi)
    sgemm(ta, tb, M, N, K, 1.0f, A + xi * a_step, lda, B + xi * b_step, ldb, 0.0f, out + xi * out_step, N, threads);
}
}  // namespace

namespace {
// A square kernel of size r (3 or 5), stride 1, no dilation, 2-D.
bool winograd_shape(const Conv2dShape& s, int64_t r) {
  return s.kernel_h == r && s.kernel_w == r && s.stride_h == 1 && s.stride_w == 1 && s.dilation_h == 1 &&
         s.dilation_w == 1 && s.in_h > 1 && s.out_h >= 2 && s.out_w >= 2;
}
}  // namespace

bool winograd_forward_applies(const Conv2dShape& s) {
  // Forward keeps each block of tiles in L2 (below), and from 32 channels
  // in and out it beats the implicit path at batch 1 and 64 alike (the FER
  // CNN's 32 -> 64, 64 -> 128 and 128 -> 128 layers 1.3-2.3x, bench/README.md);
  // at 16 channels in the two tie.
  // 5x5 layers take F(2x2, 5x5) from 64 channels in (the batch-norm CNN's
  // 64 -> 128, 1.7x; the RAVDESS CNN's 64 -> 128). At 32 in, the RAVDESS
  // CNN's 32 -> 64, its products are too shallow to pay for the larger
  // transforms: that model trained 7% slower with the layer on this path.
  const bool wide = s.in_channels >= 32 && s.out_channels >= 32;
  return (winograd_shape(s, 3) && wide) || (winograd_shape(s, 5) && wide && s.in_channels >= 64);
}

bool winograd_backward_applies(const Conv2dShape& s) {
  // Backward transforms the whole batch's tiles before its products. Per
  // tile the GEMMs do 32 C K flops and the transformed tiles move 16 (C + K)
  // floats through memory twice: below C K / (C + K) = 64 the traffic costs
  // more than the flops save (the FER CNN's layers trained 13-23% slower on
  // this path), while the batch-norm CNN's 128 -> 512 and 512 -> 512 layers
  // run 1.5-2.3x faster (bench/README.md).
  return winograd_shape(s, 3) && s.in_channels * s.out_channels > 64 * (s.in_channels + s.out_channels);
}

bool winograd_weight_grad_applies(const Conv2dShape& s) {
  // Per position the products are [K, tiles] x [tiles, C]: at 32 channels in
  // (the FER CNN's 32 -> 64) the transforms cost more than the products
  // save, and the layer trained 5% slower than on the implicit path; from 64
  // in, 1.05-1.14x faster (bench/README.md).
  return winograd_forward_applies(s) && !winograd_backward_applies(s) && s.in_channels >= 64;
}

namespace {
// Forward runs block by block of tiles: each task transforms one block's
// input straight into sgemm's packed layout, makes the products (16 or 36,
// one per position of the transform: F2x2_3x3 or F2x2_5x5 above) for a
// run of output channels against filters packed once, and transforms them
// into the output, so a block's transformed tiles stay in L2. (With the
// whole batch's tiles transformed first, their traffic to memory and back
// cost more than the products saved at the FER CNN's widths, and at batch
// 1 a third of the time went to packing and to threads waiting.) Each
// product element is summed as sgemm sums it, so the bits depend neither
// on the blocks nor on the threads.

// Each position's filters G w G^T, position xi packed as sgemm's A [K, C]
// at xi * sgemm_packed_a_size(K, C), written panel by panel (row r of the
// panel from k0, depth c at k0 * C + c * MR + r; rows past K zero).
template <typename V>
void pack_filters(const float* w, int64_t K, int64_t C, float* packed, int threads) {
  constexpr int taps = V::kKernel * V::kKernel;
  const int MR = sgemm_panel_rows();
  const int64_t a_size = sgemm_packed_a_size(K, C), panels = (K + MR - 1) / MR;
#pragma omp parallel for num_threads(batch_threads(panels, threads)) schedule(static)
  for (int64_t ip = 0; ip < panels; ++ip) {
    const int64_t k0 = ip * MR;
    float u[V::kPositions];
    for (int64_t c = 0; c < C; ++c)
      for (int r = 0; r < MR; ++r) {
        if (k0 + r < K)
          transform2d<V::kKernel, V::kTile>(w + ((k0 + r) * C + c) * taps, u, V::filter);
        else
          std::fill(u, u + V::kPositions, 0.0f);
        float* dst = packed + k0 * C + c * MR + r;
        for (int xi = 0; xi < V::kPositions; ++xi) dst[xi * a_size] = u[xi];
      }
  }
}

// Packed filters kept per weight buffer while its values stay the same
// (compared in full, so a training step's new weights are packed again):
// predictions re-use them. At batch 1 the FER CNN's 128 -> 128 layer would
// otherwise transform and pack 147K weights into over 260K values for the
// products of 16 tiles.
struct PackedFilters {
  const float* w = nullptr;
  int64_t k = 0, c = 0;  // with the values' size, the kernel's
  std::vector<float> values, packed;
  uint64_t last_use = 0;
};
constexpr int kFilterCacheSlots = 8;
thread_local PackedFilters t_filters[kFilterCacheSlots];
thread_local uint64_t t_filter_clock = 0;

thread_local std::vector<float> t_filters_once;

// keep: look the filters up in (and add them to) the cache above; without
// it (filters made for one call) they are packed into scratch.
template <typename V>
const float* packed_filters(const float* w, int64_t K, int64_t C, bool keep, int threads) {
  if (!keep) {
    float* packed = grow_scratch(t_filters_once, V::kPositions * sgemm_packed_a_size(K, C));
    pack_filters<V>(w, K, C, packed, threads);
    return packed;
  }
  const auto n = static_cast<size_t>(K * C * V::kKernel * V::kKernel);
  const auto same = [&](const PackedFilters& f) { return f.w == w && f.k == K && f.c == C && f.values.size() == n; };
  PackedFilters* slot = &t_filters[0];
  for (PackedFilters& f : t_filters) {
    if (same(f)) {
      slot = &f;
      break;
    }
    if (f.last_use < slot->last_use) slot = &f;
  }
  slot->last_use = ++t_filter_clock;
  if (same(*slot) && std::memcmp(slot->values.data(), w, n * sizeof(float)) == 0) return slot->packed.data();
  slot->w = w;
  slot->k = K;
  slot->c = C;
  slot->values.assign(w, w + n);
  slot->packed.resize(static_cast<size_t>(V::kPositions * sgemm_packed_a_size(K, C)));
  pack_filters<V>(w, K, C, slot->packed.data(), threads);
  return slot->packed.data();
}

// Tasks of the forward pass: blocks of `block` tiles (whole panels of
// sgemm's B) times groups of output channels (whole panels of its A).
struct ForwardPlan {
  int64_t block, blocks, groups;
  int64_t count() const { return blocks * groups; }
};
ForwardPlan plan_forward(const Conv2dShape& s, const Tiles& t, int positions, int threads) {
  constexpr int64_t kBlockFloats = int64_t{1} << 16;  // a block's transformed input: 256 KB
  const int64_t NR = sgemm_panel_cols(), MR = sgemm_panel_rows();
  const int64_t block = std::clamp(kBlockFloats / (positions * s.in_channels) / NR, int64_t{1}, int64_t{4}) * NR;
  ForwardPlan plan{block, (t.total + block - 1) / block, 1};
  // A few tasks per thread, so that stealing evens them out; channel groups
  // of at least two panels when the tiles alone are too few (batch 1).
  const int64_t want = 4 * threads, most_groups = std::max<int64_t>(1, s.out_channels / (2 * MR));
  if (threads > 1) plan.groups = std::clamp((want + plan.blocks - 1) / plan.blocks, int64_t{1}, most_groups);
  return plan;
}

// Where tile t0 + j of the batch is: its sample and its block's top-left
// output (computed once per block: divisions in the transforms' inner loops
// cost more than the transforms).
struct TileAt {
  int64_t n, r, c;
};
void locate_tiles(const Tiles& t, int64_t t0, int64_t nt, TileAt* at) {
  for (int64_t j = 0; j < nt; ++j) {
    const int64_t tile = t0 + j, in_sample = tile % t.per_sample;
    at[j] = {tile / t.per_sample, 2 * (in_sample / t.cols), 2 * (in_sample % t.cols)};
  }
}

// Eight tiles side by side (lanes.hpp), which the packed layout (tiles
// adjacent) stores whole.
// Forward's blocks keep each position's transformed tiles (and products)
// this many floats (a cache line) past a multiple of the block's size:
// with the blocks exactly 16 KB apart, the 16 or 36 streams a transform
// stores or loads all fell into one set of the L1 cache, and the input
// transform took longer than the products it fed.
constexpr int64_t kSkew = 16;

// Where forward's tiles are gathered from. Planes with rows of at least
// eight tiles are copied with their padding written out, each wide and
// tall enough for every tile's block and for gather_blocks' reads past the
// last tile (eight tiles' rows read as two vectors from each column): a
// tile's block starts at (tile.r, tile.c) of its plane, and gathering needs
// no bounds. Narrower planes (the 6x6 ones of 512 channels) are read in
// place, bounds checked: their copy would cost more than it saves.
struct PaddedInput {
  const float* data;
  int64_t rows, cols;
  const float* plane(int64_t n, int64_t c, int64_t channels) const { return data + (n * channels + c) * rows * cols; }
};

thread_local std::vector<float> t_padded;

bool pad_pays(const Tiles& t) { return t.cols >= kLanes; }

PaddedInput pad_input(const float* x, const Conv2dShape& s, const Tiles& t, int tile, int threads) {
  if (!pad_pays(t)) return {nullptr, 0, 0};
  const int64_t rows = 2 * t.rows + tile, cols = 2 * t.cols + tile, planes = s.batch * s.in_channels;
  float* out = grow_scratch(t_padded, planes * rows * cols);
#pragma omp parallel for num_threads(batch_threads(planes, threads)) schedule(static)
  for (int64_t p = 0; p < planes; ++p) {
    const float* in = x + p * s.in_h * s.in_w;
    float* o = out + p * rows * cols;
    // Each row: zeros, the input row (its part that lands inside), zeros.
    const int64_t c0 = std::clamp<int64_t>(s.pad_left, 0, cols), c1 = std::clamp<int64_t>(s.pad_left + s.in_w, c0, cols);
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t ir = r - s.pad_top;
      float* row = o + r * cols;
      if (ir < 0 || ir >= s.in_h) {
        std::fill(row, row + cols, 0.0f);
        continue;
      }
      std::fill(row, row + c0, 0.0f);
      std::copy(in + ir * s.in_w + (c0 - s.pad_left), in + ir * s.in_w + (c1 - s.pad_left), row + c0);
      std::fill(row + c1, row + cols, 0.0f);
    }
  }
  return {out, rows, cols};
}

// Whether tiles j0 .. j0 + 7 are all there and in one row of one sample:
// then they start two columns apart, their outputs side by side.
bool eight_in_a_row(const TileAt* tiles, int64_t j0, int64_t nt) {
  return j0 + kLanes <= nt && tiles[j0 + kLanes - 1].n == tiles[j0].n && tiles[j0 + kLanes - 1].r == tiles[j0].r;
}

// The input blocks (Tile x Tile) of tiles j0 .. j0 + 7 of channel c (zeros
// for tiles past nt), position by position. Eight tiles of one row start
// two columns apart: each of their block's columns is every other value of
// two vectors read along the padded row.
// Position (i, jj) of eight tiles side by side in a row from `base` (the
// first tile's block): every other value of two vectors read along the row.
inline Lanes row_of_tiles(const float* base, int64_t cols, int i, int jj) {
  const float* at = base + i * cols + jj;
  return __builtin_shufflevector(load_lanes(at), load_lanes(at + kLanes), 0, 2, 4, 6, 8, 10, 12, 14);
}

// Lane l of the result: a[idx[l]] for idx[l] < 8, else b[idx[l] - 8]
// (clang, the fuzzing build, has no shuffle with a variable index).
inline Lanes merge_lanes(const Lanes& a, const Lanes& b, const LaneIndex& idx) {
#if defined(__clang__)
  Lanes r;
  for (int l = 0; l < kLanes; ++l) r[l] = idx[l] < kLanes ? a[idx[l]] : b[idx[l] - kLanes];
  return r;
#else
  return __builtin_shuffle(a, b, idx);
#endif
}

inline bool same_row(const TileAt& a, const TileAt& b) { return a.n == b.n && a.r == b.r; }

// Tiles j0 .. j0 + 7 (all there, not all in one row) as the end of one row
// and what follows it: m tiles in the first row, and the merge taking lanes
// 0 .. m - 1 from the first row's read and the rest from the second's.
struct TwoRuns {
  int m;
  LaneIndex idx;
};
TwoRuns two_runs(const TileAt* tiles, int64_t j0) {
  TwoRuns r{1, {}};
  while (same_row(tiles[j0 + r.m], tiles[j0])) ++r.m;
  for (int l = 0; l < kLanes; ++l) r.idx[l] = l < r.m ? l : kLanes + l - r.m;
  return r;
}

template <int Tile>
void gather_blocks(const PaddedInput& x, int64_t channels, const TileAt* tiles, int64_t j0, int64_t nt, int64_t c,
                   Lanes* d) {
  if (j0 >= nt) {  // a group past the block's last tile, filling the panel: zeros
    std::fill(d, d + Tile * Tile, Lanes{});
    return;
  }
  const TileAt& first = tiles[j0];
  const auto block_at = [&](const TileAt& tile) { return x.plane(tile.n, c, channels) + tile.r * x.cols + tile.c; };
  if (eight_in_a_row(tiles, j0, nt)) {
    const float* base = block_at(first);
    for (int i = 0; i < Tile; ++i)
      for (int jj = 0; jj < Tile; ++jj) d[i * Tile + jj] = row_of_tiles(base, x.cols, i, jj);
    return;
  }
  if (j0 + kLanes <= nt) {
    // The end of one row and the start of the next (rows here have at least
    // eight tiles, so never three): both read as rows, their lanes merged.
    // Lane by lane, scalar stores read back as vectors stalled the loads,
    // and these groups took most of the transform's time.
    const TwoRuns runs = two_runs(tiles, j0);
    const float *base = block_at(first), *next = block_at(tiles[j0 + runs.m]);
    for (int i = 0; i < Tile; ++i)
      for (int jj = 0; jj < Tile; ++jj)
        d[i * Tile + jj] =
            merge_lanes(row_of_tiles(base, x.cols, i, jj), row_of_tiles(next, x.cols, i, jj), runs.idx);
    return;
  }
  alignas(32) float lanes[Tile * Tile][kLanes] = {};
  for (int l = 0; l < kLanes && j0 + l < nt; ++l) {
    const TileAt& tile = tiles[j0 + l];
    const float* xp = x.plane(tile.n, c, channels) + tile.r * x.cols + tile.c;
    for (int i = 0; i < Tile; ++i)
      for (int jj = 0; jj < Tile; ++jj) lanes[i * Tile + jj][l] = xp[i * x.cols + jj];
  }
  for (int xi = 0; xi < Tile * Tile; ++xi) d[xi] = load_lanes(lanes[xi]);
}

// gather_blocks from the unpadded input: zeros past its edges.
template <int Tile>
void gather_blocks_in_place(const float* x, const Conv2dShape& s, const TileAt* tiles, int64_t j0, int64_t nt,
                            int64_t c, Lanes* d) {
  const int64_t plane = s.in_h * s.in_w;
  alignas(32) float lanes[Tile * Tile][kLanes] = {};
  for (int l = 0; l < kLanes && j0 + l < nt; ++l) {
    const TileAt& tile = tiles[j0 + l];
    const float* xp = x + (tile.n * s.in_channels + c) * plane;
    const int64_t r0 = tile.r - s.pad_top, c0 = tile.c - s.pad_left;
    if (r0 >= 0 && c0 >= 0 && r0 + Tile <= s.in_h && c0 + Tile <= s.in_w) {
      for (int i = 0; i < Tile; ++i)
        for (int jj = 0; jj < Tile; ++jj) lanes[i * Tile + jj][l] = xp[(r0 + i) * s.in_w + c0 + jj];
      continue;
    }
    for (int i = 0; i < Tile; ++i)
      for (int jj = 0; jj < Tile; ++jj) {
        const int64_t r = r0 + i, col = c0 + jj;
        if (r >= 0 && r < s.in_h && col >= 0 && col < s.in_w) lanes[i * Tile + jj][l] = xp[r * s.in_w + col];
      }
  }
  for (int xi = 0; xi < Tile * Tile; ++xi) d[xi] = load_lanes(lanes[xi]);
}

// The block's tiles of every input channel, B^T d B at each position xi
// into Vp + xi * v_stride as sgemm's packed B [C, nt] (columns past nt zero).
template <typename V>
void transform_input_block(const float* x, const PaddedInput& padded, const Conv2dShape& s, const TileAt* tiles,
                           int64_t nt, float* Vp, int64_t v_stride) {
  const int64_t C = s.in_channels, NR = sgemm_panel_cols();
  Lanes d[V::kPositions], v[V::kPositions];
  for (int64_t jp = 0; jp < nt; jp += NR)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t j = jp; j < jp + NR; j += kLanes) {
        if (padded.data)
          gather_blocks<V::kTile>(padded, C, tiles, j, nt, c, d);
        else
          gather_blocks_in_place<V::kTile>(x, s, tiles, j, nt, c, d);
        transform2d<V::kTile, V::kTile>(d, v, [](const Lanes* in, Lanes* out) { V::input(in, out); });
        float* at_j = Vp + jp * C + c * NR + (j - jp);
        for (int xi = 0; xi < V::kPositions; ++xi) store_lanes(at_j + xi * v_stride, v[xi]);
      }
}

// Where forward's output goes: y, or with `pool` (2x2 windows, stride 2,
// no padding: one window per tile) the relu'd tiles' maxima and their
// positions in the output plane.
struct ForwardOut {
  float* y = nullptr;
  bool add = false;  // y += the result (a gradient accumulated into)
  const Pool2dShape* pool = nullptr;
  float* pooled = nullptr;
  int32_t* argmax = nullptr;
};

bool pool_is_tiles(const Conv2dShape& s, const Pool2dShape& p) {
  return p.pool_h == 2 && p.pool_w == 2 && p.stride_h == 2 && p.stride_w == 2 && p.pad_top == 0 &&
         p.pad_left == 0 && p.out_h == s.out_h / 2 && p.out_w == s.out_w / 2 && p.planes == s.out_channels;
}

// Each window's maximum (the first of equals in row-major order, as
// maxpool2d_forward) and its index 0-3 in the tile.
void pool_tile(const Lanes* o, Lanes& best, Lanes& index) {
  best = o[0];
  index = Lanes{};
  for (int q = 1; q < 4; ++q) {
    const auto wins = o[q] > best;
    best = wins ? o[q] : best;
    index = wins ? Lanes{} + static_cast<float>(q) : index;
  }
}

// Channel k's 2x2 outputs o of tiles [j0, j0 + 8) (lane l: tile j0 + l),
// pooled: each window's maximum and its index in the output plane, into
// out.pooled and out.argmax; a tile cut by the edge has no window.
void store_pooled(const Lanes* o, const TileAt* tiles, int64_t j0, int64_t nt, int64_t k, const ForwardOut& out,
                  const Conv2dShape& s) {
  const Pool2dShape& p = *out.pool;
  const int64_t pool_plane = p.out_h * p.out_w;
  alignas(32) float best_at[kLanes], index_at[kLanes];
  Lanes best, index;
  pool_tile(o, best, index);
  store_lanes(index_at, index);
  // Eight tiles of one row: their windows lie side by side.
  const TileAt& first = tiles[j0];
  const int64_t row_p = first.r / 2, col_p = first.c / 2;  // the first tile's window
  if (eight_in_a_row(tiles, j0, nt) && row_p < p.out_h && col_p + kLanes <= p.out_w) {
    const int64_t at_p = (first.n * s.out_channels + k) * pool_plane + row_p * p.out_w + col_p;
    store_lanes(out.pooled + at_p, best);
    for (int l = 0; l < kLanes; ++l) {
      const int q = static_cast<int>(index_at[l]);
      out.argmax[at_p + l] = static_cast<int32_t>((first.r + q / 2) * s.out_w + first.c + 2 * l + q % 2);
    }
    return;
  }
  store_lanes(best_at, best);
  const int lanes_here = static_cast<int>(std::min<int64_t>(kLanes, nt - j0));
  for (int l = 0; l < lanes_here; ++l) {
    const TileAt& tile = tiles[j0 + l];
    const int64_t pr = tile.r / 2, pc = tile.c / 2;
    if (pr >= p.out_h || pc >= p.out_w) continue;  // a cut tile: no window
    const int64_t at_p = (tile.n * s.out_channels + k) * pool_plane + pr * p.out_w + pc;
    const int q = static_cast<int>(index_at[l]);
    out.pooled[at_p] = best_at[l];
    out.argmax[at_p] = static_cast<int32_t>((tile.r + q / 2) * s.out_w + tile.c + q % 2);
  }
}

// Channel k's 2x2 outputs o of tiles [j0, j0 + 8) into out.y (added to it
// when out.add): the part of each tile inside the output.
void store_tiles(const Lanes* o, const TileAt* tiles, int64_t j0, int64_t nt, int64_t k, const ForwardOut& out,
                 const Conv2dShape& s) {
  const int64_t out_plane = s.out_h * s.out_w;
  // Eight tiles of one row: their outputs lie side by side.
  const TileAt& first = tiles[j0];
  if (eight_in_a_row(tiles, j0, nt) && first.r + 1 < s.out_h && first.c + 2 * kLanes <= s.out_w) {
    float* yp = out.y + (first.n * s.out_channels + k) * out_plane + first.r * s.out_w + first.c;
    for (int i = 0; i < 2; ++i) {  // output row i: the tiles' two columns interleaved
      float* row = yp + i * s.out_w;
      const Lanes lo = __builtin_shufflevector(o[2 * i], o[2 * i + 1], 0, 8, 1, 9, 2, 10, 3, 11);
      const Lanes hi = __builtin_shufflevector(o[2 * i], o[2 * i + 1], 4, 12, 5, 13, 6, 14, 7, 15);
      store_lanes(row, out.add ? load_lanes(row) + lo : lo);
      store_lanes(row + kLanes, out.add ? load_lanes(row + kLanes) + hi : hi);
    }
    return;
  }
  alignas(32) float lanes[4][kLanes];
  for (int q = 0; q < 4; ++q) store_lanes(lanes[q], o[q]);
  const int lanes_here = static_cast<int>(std::min<int64_t>(kLanes, nt - j0));
  for (int l = 0; l < lanes_here; ++l) {
    const TileAt& tile = tiles[j0 + l];
    float* yp = out.y + (tile.n * s.out_channels + k) * out_plane;
    for (int i = 0; i < 2; ++i)
      for (int jj = 0; jj < 2; ++jj) {
        const int64_t r = tile.r + i, c = tile.c + jj;
        if (r >= s.out_h || c >= s.out_w) continue;
        float& dst = yp[r * s.out_w + c];
        dst = out.add ? dst + lanes[i * 2 + jj][l] : lanes[i * 2 + jj][l];
      }
  }
}

// A^T m A + bias (relu'd if asked) for channels [k0, k1) of the block's
// tiles, m at Mb + xi * m_stride + (k - k0) * ld + j (ld a whole number of
// lanes), into `out`: the part of each 2x2 block inside the output, or
// each whole block's pool.
template <typename V>
void transform_output_block(const float* Mb, int64_t m_stride, int64_t ld, const float* bias, const ForwardOut& out,
                            const Conv2dShape& s, const TileAt* tiles, int64_t nt, int64_t k0, int64_t k1, bool relu) {
  Lanes m[V::kPositions], o[4];
  for (int64_t k = k0; k < k1; ++k) {
    const float b0 = bias ? bias[k] : 0.0f;
    for (int64_t j0 = 0; j0 < nt; j0 += kLanes) {
      for (int xi = 0; xi < V::kPositions; ++xi) m[xi] = load_lanes(Mb + xi * m_stride + (k - k0) * ld + j0);
      transform2d<V::kTile, 2>(m, o, [](const Lanes* in, Lanes* res) { V::output(in, res); });
      for (Lanes& v : o) {
        v += b0;
        if (relu) v = v > 0.0f ? v : Lanes{};
      }
      if (out.pool)
        store_pooled(o, tiles, j0, nt, k, out, s);
      else
        store_tiles(o, tiles, j0, nt, k, out, s);
    }
  }
}

thread_local std::vector<float> t_vblock, t_mblock;
thread_local std::vector<TileAt> t_tile_at;
}  // namespace

namespace {
template <typename V>
void blocked_forward(const float* x, const float* w, const float* bias, const ForwardOut& out, const Conv2dShape& s,
                     bool relu, int threads, bool keep_filters) {
  constexpr int kPositions = V::kPositions;
  const int64_t K = s.out_channels, C = s.in_channels;
  const Tiles t = tiles_of(s);
  if (omp_in_parallel()) threads = 1;
  const float* Up = packed_filters<V>(w, K, C, keep_filters, threads);
  const PaddedInput padded = pad_input(x, s, t, V::kTile, threads);
  const int64_t a_size = sgemm_packed_a_size(K, C);
  const ForwardPlan plan = plan_forward(s, t, kPositions, threads);
  for_tasks_balanced(plan.count(), threads, [&](int64_t task) {
    const int64_t t0 = task / plan.groups * plan.block, nt = std::min(plan.block, t.total - t0);
    const auto [k0, k1] = sgemm_panel_group(K, task % plan.groups, plan.groups);
    const int64_t ld = (nt + kLanes - 1) / kLanes * kLanes;  // whole lanes for the output transform
    // Each position's block starts kSkew floats past a multiple of its size
    // (the sizes are powers of two: 16 KB at every width the plan picks).
    const int64_t v_stride = sgemm_packed_b_size(C, nt) + kSkew, m_stride = (k1 - k0) * ld + kSkew;
    float* Vp = grow_scratch(t_vblock, kPositions * v_stride);
    float* Mb = grow_scratch(t_mblock, kPositions * m_stride);
    if (t_tile_at.size() < static_cast<size_t>(nt)) t_tile_at.resize(static_cast<size_t>(nt));
    locate_tiles(t, t0, nt, t_tile_at.data());
    transform_input_block<V>(x, padded, s, t_tile_at.data(), nt, Vp, v_stride);
    for (int xi = 0; xi < kPositions; ++xi)
      sgemm_packed(k1 - k0, nt, C, Up + xi * a_size + k0 * C, Vp + xi * v_stride, 0.0f, Mb + xi * m_stride, ld);
    transform_output_block<V>(Mb, m_stride, ld, bias, out, s, t_tile_at.data(), nt, k0, k1, relu);
  });
}

void winograd_forward(const float* x, const float* w, const float* bias, const ForwardOut& out, const Conv2dShape& s,
                      bool relu, int threads, bool keep_filters = true) {
  if (s.kernel_h == 5)
    blocked_forward<F2x2_5x5>(x, w, bias, out, s, relu, threads, keep_filters);
  else
    blocked_forward<F2x2_3x3>(x, w, bias, out, s, relu, threads, keep_filters);
}
}  // namespace

void conv2d_winograd_forward(const float* x, const float* w, const float* bias, float* y, const Conv2dShape& s,
                             bool relu, int threads) {
  winograd_forward(x, w, bias, {.y = y}, s, relu, threads);
}

namespace {
thread_local std::vector<float> t_wflip, t_dz;
}  // namespace

void conv2d_winograd_input_grad(const float* w, const float* dy, const float* relu_y, float* dx, const Conv2dShape& s,
                                bool overwrite, int threads) {
  const int64_t K = s.out_channels, C = s.in_channels, out_size = s.batch * K * s.out_h * s.out_w;
  const int64_t r = s.kernel_h, taps = r * r;
  // wf[c][k] = w[k][c] turned by 180 degrees.
  float* wf = grow_scratch(t_wflip, C * K * taps);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < taps; ++i) wf[(c * K + k) * taps + i] = w[(k * C + c) * taps + taps - 1 - i];
  const float* dz = dy;
  if (relu_y) {  // the relu's mask (+0 where it stops the gradient, as relu_masked_gradient)
    float* masked = grow_scratch(t_dz, out_size);
    // The pointers copied in: through the lambda's references GCC reloaded
    // dy after every store and kept the loop scalar (a sixth of a FER CNN
    // layer's training time).
    for_element_ranges(out_size, 1 << 16, threads, [masked, relu_y, dy](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        const float d = dy[i];  // loaded either way: a select, not a branch
        masked[i] = 0.0f + (relu_y[i] > 0.0f ? d : 0.0f);
      }
    });
    dz = masked;
  }
  // dx[c] is the correlation of dz, padded by r - 1 - pad, with wf: a
  // forward convolution from K channels to C whose output is the input's size.
  Conv2dShape t = s;
  t.in_channels = K;
  t.in_h = s.out_h;
  t.in_w = s.out_w;
  t.out_channels = C;
  t.pad_top = r - 1 - s.pad_top;
  t.pad_left = r - 1 - s.pad_left;
  t.out_h = s.in_h;
  t.out_w = s.in_w;
  winograd_forward(dz, wf, nullptr, {.y = dx, .add = !overwrite}, t, false, threads, /*keep_filters=*/false);
}

namespace {
// ---- the weight gradient of forward-only layers, block by block
//
// dw[k][c] = G^T (sum over tiles of (A dz A^T) * (B^T d B)) G: per position
// of the transform a product of the output gradient's transformed tiles
// [K, tiles] with the input's [C, tiles]^T, whose depth is the tiles. The
// batch is cut into a fixed number of chunks, each summed into its own
// partial products block by block (a block's transformed tiles stay in L2,
// as forward's), and the chunks are added in order: the bits depend neither
// on the threads nor on which of them ran a chunk.
constexpr int64_t kWeightGradChunks = 8;

thread_local std::vector<float> t_wg_partials, t_wg_v, t_wg_m, t_wg_row;
thread_local std::vector<TileAt> t_wg_tiles;

// The 2x2 blocks of the output gradient of tiles j0 .. j0 + 7 in channel k,
// masked by the fused relu's output (zeros past the output and past nt).
// Row i (0 or 1) of the 2x2 blocks of eight tiles side by side from `at`:
// their even and odd columns, masked by the relu's output.
void grad_row_of_tiles(const float* dy, const float* relu_y, int64_t at, Lanes& even, Lanes& odd) {
  Lanes lo = load_lanes(dy + at), hi = load_lanes(dy + at + kLanes);
  if (relu_y) {
    lo = load_lanes(relu_y + at) > 0.0f ? lo : Lanes{};
    hi = load_lanes(relu_y + at + kLanes) > 0.0f ? hi : Lanes{};
  }
  even = __builtin_shufflevector(lo, hi, 0, 2, 4, 6, 8, 10, 12, 14);
  odd = __builtin_shufflevector(lo, hi, 1, 3, 5, 7, 9, 11, 13, 15);
}

void gather_grad_blocks(const float* dy, const float* relu_y, const Conv2dShape& s, const TileAt* tiles, int64_t j0,
                        int64_t nt, int64_t k, Lanes* z) {
  const int64_t plane = s.out_h * s.out_w, size = s.batch * s.out_channels * plane;
  const TileAt& first = tiles[j0];
  const auto at = [&](const TileAt& tile) { return (tile.n * s.out_channels + k) * plane + tile.r * s.out_w + tile.c; };
  // Sixteen values read from a tile's block: inside the output, and no
  // tile of the group cut by its edges (even width, two rows there).
  const auto readable = [&](const TileAt& tile) {
    return tile.r + 1 < s.out_h && s.out_w % 2 == 0 && at(tile) + s.out_w + 2 * kLanes <= size;
  };
  if (eight_in_a_row(tiles, j0, nt) && first.r + 1 < s.out_h && first.c + 2 * kLanes <= s.out_w) {
    for (int i = 0; i < 2; ++i) grad_row_of_tiles(dy, relu_y, at(first) + i * s.out_w, z[2 * i], z[2 * i + 1]);
    return;
  }
  if (j0 + kLanes <= nt && readable(first)) {
    // The end of one row of tiles and the start of the next, as gather_blocks
    // takes them; rows of fewer than eight tiles may make three runs, left
    // to the lane-by-lane path below.
    const TwoRuns runs = two_runs(tiles, j0);
    const TileAt& second = tiles[j0 + runs.m];
    if (readable(second) && same_row(tiles[j0 + kLanes - 1], second)) {  // two runs, not three
      const LaneIndex& idx = runs.idx;
      for (int i = 0; i < 2; ++i) {
        Lanes even_a, odd_a, even_b, odd_b;
        grad_row_of_tiles(dy, relu_y, at(first) + i * s.out_w, even_a, odd_a);
        grad_row_of_tiles(dy, relu_y, at(second) + i * s.out_w, even_b, odd_b);
        z[2 * i] = merge_lanes(even_a, even_b, idx);
        z[2 * i + 1] = merge_lanes(odd_a, odd_b, idx);
      }
      return;
    }
  }
  alignas(32) float lanes[4][kLanes] = {};
  for (int l = 0; l < kLanes && j0 + l < nt; ++l) {
    const TileAt& tile = tiles[j0 + l];
    const int64_t base = (tile.n * s.out_channels + k) * plane;
    for (int i = 0; i < 2; ++i)
      for (int jj = 0; jj < 2; ++jj) {
        const int64_t r = tile.r + i, c = tile.c + jj, at = base + r * s.out_w + c;
        if (r < s.out_h && c < s.out_w && (!relu_y || relu_y[at] > 0.0f)) lanes[i * 2 + jj][l] = dy[at];
      }
  }
  for (int q = 0; q < 4; ++q) z[q] = load_lanes(lanes[q]);
}

// Tiles per block: the block's transformed input and output gradient about
// 256 KB, whole groups of eight.
int64_t weight_grad_block(const Conv2dShape& s, int positions) {
  constexpr int64_t kBlockFloats = int64_t{1} << 16;
  const int64_t per_tile = positions * (s.in_channels + s.out_channels);
  return std::clamp<int64_t>(kBlockFloats / per_tile / kLanes, 1, 32) * kLanes;
}

// Tiles [t0, t0 + nt) of the batch: their transformed input V[xi][c][j] and
// output gradient M[xi][k][j] (rows of ld values, positions `stride` apart),
// then dU[xi] += M[xi] V[xi]^T.
template <typename V>
void weight_grad_block_products(const float* x, const PaddedInput& padded, const float* dy, const float* relu_y,
                                const Conv2dShape& s, const Tiles& t, int64_t t0, int64_t nt, float* dU) {
  const int64_t K = s.out_channels, C = s.in_channels, ld = (nt + kLanes - 1) / kLanes * kLanes;
  const int64_t v_stride = C * ld + kSkew, m_stride = K * ld + kSkew;
  float* Vb = grow_scratch(t_wg_v, V::kPositions * v_stride);
  float* Mb = grow_scratch(t_wg_m, V::kPositions * m_stride);
  if (t_wg_tiles.size() < static_cast<size_t>(ld)) t_wg_tiles.resize(static_cast<size_t>(ld));
  TileAt* tiles = t_wg_tiles.data();
  locate_tiles(t, t0, nt, tiles);
  Lanes d[V::kPositions], v[V::kPositions], z[4];
  for (int64_t c = 0; c < C; ++c)
    for (int64_t j = 0; j < nt; j += kLanes) {
      if (padded.data)
        gather_blocks<V::kTile>(padded, C, tiles, j, nt, c, d);
      else
        gather_blocks_in_place<V::kTile>(x, s, tiles, j, nt, c, d);
      transform2d<V::kTile, V::kTile>(d, v, [](const Lanes* in, Lanes* out) { V::input(in, out); });
      for (int xi = 0; xi < V::kPositions; ++xi) store_lanes(Vb + xi * v_stride + c * ld + j, v[xi]);
    }
  for (int64_t k = 0; k < K; ++k)
    for (int64_t j = 0; j < nt; j += kLanes) {
      gather_grad_blocks(dy, relu_y, s, tiles, j, nt, k, z);
      transform2d<2, V::kTile>(z, v, [](const Lanes* in, Lanes* out) { V::output_grad(in, out); });
      for (int xi = 0; xi < V::kPositions; ++xi) store_lanes(Mb + xi * m_stride + k * ld + j, v[xi]);
    }
  for (int xi = 0; xi < V::kPositions; ++xi)
    sgemm(false, true, K, C, nt, 1.0f, Mb + xi * m_stride, ld, Vb + xi * v_stride, ld, 1.0f, dU + xi * K * C, C, 1);
}

// db (+)= the masked output gradient's sum over samples [n0, n1), each row
// in sum_fixed_order's order.
void bias_grad_rows(const float* dy, const float* relu_y, const Conv2dShape& s, int64_t n0, int64_t n1, float* db) {
  const int64_t K = s.out_channels, plane = s.out_h * s.out_w;
  float* masked = relu_y ? grow_scratch(t_wg_row, plane) : nullptr;
  for (int64_t n = n0; n < n1; ++n)
    for (int64_t k = 0; k < K; ++k) {
      const float* row = dy + (n * K + k) * plane;
      if (relu_y) {
        const float* yr = relu_y + (n * K + k) * plane;
        for (int64_t i = 0; i < plane; ++i) {
          const float g = row[i];
          masked[i] = yr[i] > 0.0f ? g : 0.0f;
        }
        row = masked;
      }
      db[k] += sum_fixed_order(row, plane);
    }
}

template <typename V>
void blocked_weight_grad(const float* x, const float* dy, const float* relu_y, float* dw, float* db,
                         const Conv2dShape& s, bool overwrite, int threads) {
  const int64_t K = s.out_channels, C = s.in_channels, usize = V::kPositions * K * C, psize = usize + K;
  const Tiles t = tiles_of(s);
  if (omp_in_parallel()) threads = 1;
  const PaddedInput padded = pad_input(x, s, t, V::kTile, threads);
  const int64_t chunks = std::min(s.batch, kWeightGradChunks), block = weight_grad_block(s, V::kPositions);
  float* partials = grow_scratch(t_wg_partials, chunks * psize);
  auto chunk = [&](int64_t ch) {
    float* dU = partials + ch * psize;
    std::fill(dU, dU + psize, 0.0f);
    const int64_t n0 = s.batch * ch / chunks, n1 = s.batch * (ch + 1) / chunks;
    if (dw)
      for (int64_t t0 = n0 * t.per_sample; t0 < n1 * t.per_sample; t0 += block)
        weight_grad_block_products<V>(x, padded, dy, relu_y, s, t, t0, std::min(block, n1 * t.per_sample - t0), dU);
    if (db) bias_grad_rows(dy, relu_y, s, n0, n1, dU + usize);
  };
  // The chunks' sums added in chunk order into the first, each thread a
  // slice of whole cache lines.
  auto add_chunks = [&](int th, int T) {
    const int64_t lines = (psize + 15) / 16;
    const int64_t lo = std::min(psize, lines * th / T * 16), hi = std::min(psize, lines * (th + 1) / T * 16);
    for (int64_t ch = 1; ch < chunks; ++ch)
      for (int64_t i = lo; i < hi; ++i) partials[i] += partials[ch * psize + i];
  };
  for_tasks_balanced(chunks, threads, chunk, add_chunks);
  if (dw) {
    const int64_t kc_count = K * C;
#pragma omp parallel for num_threads(batch_threads(kc_count / 64, threads)) schedule(static)
    for (int64_t kc = 0; kc < kc_count; ++kc) {
      float u[V::kPositions], g[V::kKernel * V::kKernel];
      for (int xi = 0; xi < V::kPositions; ++xi) u[xi] = partials[xi * kc_count + kc];
      transform2d<V::kTile, V::kKernel>(u, g, V::filter_grad);
      float* out = dw + kc * V::kKernel * V::kKernel;
      for (int i = 0; i < V::kKernel * V::kKernel; ++i) out[i] = overwrite ? g[i] : out[i] + g[i];
    }
  }
  if (db)
    for (int64_t k = 0; k < K; ++k) db[k] = overwrite ? partials[usize + k] : db[k] + partials[usize + k];
}
}  // namespace

void conv2d_winograd_weight_grad(const float* x, const float* dy, const float* relu_y, float* dw, float* db,
                                 const Conv2dShape& s, bool overwrite, int threads) {
  if (s.kernel_h == 5)
    blocked_weight_grad<F2x2_5x5>(x, dy, relu_y, dw, db, s, overwrite, threads);
  else
    blocked_weight_grad<F2x2_3x3>(x, dy, relu_y, dw, db, s, overwrite, threads);
}

namespace {
// Stores one position's values of eight consecutive tiles t0 .. t0 + nt - 1
// (nt <= 8) of a [position][channel][tile] array: one vector when all eight
// are there, else lane by lane (the next lanes are another channel's).
void store_tiles(float* out, const Lanes& v, int64_t nt) {
  if (nt == kLanes) {
    store_lanes(out, v);
    return;
  }
  alignas(32) float lanes[kLanes];
  store_lanes(lanes, v);
  std::copy(lanes, lanes + nt, out);
}

// Backward's whole-batch transforms run on eight consecutive tiles at a
// time (of any rows and samples), so that each position's values are
// transformed and stored as one vector: the tiles' 2x2 or 4x4 blocks are
// gathered lane by lane.
int64_t tile_groups(const Tiles& t) { return (t.total + kLanes - 1) / kLanes; }

// V[xi][c][t] = (B^T d B) at xi, d the 4x4 input block of tile t in channel
// c (zeros where it reaches past the input).
void transform_input(const float* x, const Conv2dShape& s, const Tiles& t, float* V, int threads) {
  const int64_t C = s.in_channels, ct = C * t.total, groups = tile_groups(t);
#pragma omp parallel for num_threads(batch_threads(C * groups, threads)) schedule(static)
  for (int64_t cg = 0; cg < C * groups; ++cg) {
    const int64_t c = cg / groups, t0 = cg % groups * kLanes, nt = std::min<int64_t>(kLanes, t.total - t0);
    TileAt at[kLanes];
    locate_tiles(t, t0, nt, at);
    Lanes d[kPositions], v[kPositions];
    gather_blocks_in_place<kTile>(x, s, at, 0, nt, c, d);
    transform2d<4, 4>(d, v, [](const Lanes* in, Lanes* out) { bt(in, out); });
    for (int xi = 0; xi < kPositions; ++xi) store_tiles(V + xi * ct + c * t.total + t0, v[xi], nt);
  }
}

// dM[xi][k][t] = (A dz A^T) at xi, dz the tile's 2x2 block of the output
// gradient (masked by the fused relu's output; zeros past the output).
void transform_output_grad(const float* dy, const float* relu_y, const Conv2dShape& s, const Tiles& t, float* dM,
                           int threads) {
  const int64_t K = s.out_channels, out_plane = s.out_h * s.out_w, kt = K * t.total, groups = tile_groups(t);
#pragma omp parallel for num_threads(batch_threads(K * groups, threads)) schedule(static)
  for (int64_t kg = 0; kg < K * groups; ++kg) {
    const int64_t k = kg / groups, t0 = kg % groups * kLanes, nt = std::min<int64_t>(kLanes, t.total - t0);
    TileAt at[kLanes];
    locate_tiles(t, t0, nt, at);
    alignas(32) float z[4][kLanes] = {};
    for (int64_t l = 0; l < nt; ++l) {
      const int64_t nk = at[l].n * K + k;
      const float* d = dy + nk * out_plane;
      const float* yr = relu_y ? relu_y + nk * out_plane : nullptr;
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j) {
          const int64_t r = at[l].r + i, c = at[l].c + j, at_rc = r * s.out_w + c;
          const bool inside = r < s.out_h && c < s.out_w;
          z[i * 2 + j][l] = inside && (!yr || yr[at_rc] > 0.0f) ? d[at_rc] : 0.0f;
        }
    }
    Lanes zv[4], m[kPositions];
    for (int q = 0; q < 4; ++q) zv[q] = load_lanes(z[q]);
    transform2d<2, 4>(zv, m, [](const Lanes* in, Lanes* out) { a(in, out); });
    for (int xi = 0; xi < kPositions; ++xi) store_tiles(dM + xi * kt + k * t.total + t0, m[xi], nt);
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
  if (pool_is_tiles(s, p)) {  // each tile is a window: pooled as the tiles are transformed
    winograd_forward(x, w, b, {.pool = &p, .pooled = pooled, .argmax = argmax}, s, true, threads);
    return;
  }
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
  conv2d_backward(x, w, dz, dx, dw, db, s, nullptr, overwrite, threads);  // Winograd's, or dx alone by it
}

}  // namespace ser::nn
