#include "nn/kernels/conv.hpp"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "nn/kernels/gemm.hpp"
#include "nn/kernels/geometry.hpp"
#include "nn/kernels/pool.hpp"
#include "nn/kernels/scratch.hpp"
#include "nn/kernels/vector_math.hpp"
#include "nn/kernels/winograd.hpp"
#include "nn/kernels/winograd1d.hpp"

namespace ser::nn {

Conv2dShape Conv1dShape::as_2d() const {
  Conv2dShape s;
  s.batch = batch;
  s.in_channels = in_channels;
  s.in_w = in_len;
  s.out_channels = out_channels;
  s.kernel_w = kernel;
  s.stride_w = stride;
  s.dilation_w = dilation;
  s.pad_left = pad_left;
  s.out_w = out_len;
  return s;
}

// Both passes walk the same (n, oc, ic, kh, kw, oh, ow) nest; the inner loop
// runs over contiguous output columns whose input column is in range.
template <typename T>
void conv2d_forward_naive(const T* x, const T* w, const T* b, T* y, const Conv2dShape& s) {
  const int64_t in_plane = s.in_h * s.in_w, out_plane = s.out_h * s.out_w;
  for (int64_t n = 0; n < s.batch; ++n) {
    for (int64_t oc = 0; oc < s.out_channels; ++oc) {
      T* yp = y + (n * s.out_channels + oc) * out_plane;
      const T bias = b ? b[oc] : T(0);
      for (int64_t i = 0; i < out_plane; ++i) yp[i] = bias;
      for (int64_t ic = 0; ic < s.in_channels; ++ic) {
        const T* xp = x + (n * s.in_channels + ic) * in_plane;
        for (int64_t kh = 0; kh < s.kernel_h; ++kh) {
          const IndexRange rows = valid_outputs(s.in_h, s.out_h, s.stride_h, kh * s.dilation_h - s.pad_top);
          for (int64_t kw = 0; kw < s.kernel_w; ++kw) {
            const T wv = w[((oc * s.in_channels + ic) * s.kernel_h + kh) * s.kernel_w + kw];
            const int64_t off_w = kw * s.dilation_w - s.pad_left;
            const IndexRange cols = valid_outputs(s.in_w, s.out_w, s.stride_w, off_w);
            for (int64_t oh = rows.lo; oh <= rows.hi; ++oh) {
              const T* xr = xp + (oh * s.stride_h + kh * s.dilation_h - s.pad_top) * s.in_w + off_w;
              T* yr = yp + oh * s.out_w;
              for (int64_t ow = cols.lo; ow <= cols.hi; ++ow) yr[ow] += wv * xr[ow * s.stride_w];
            }
          }
        }
      }
    }
  }
}

template <typename T>
void conv2d_backward_naive(const T* x, const T* w, const T* dy, T* dx, T* dw, T* db, const Conv2dShape& s) {
  const int64_t in_plane = s.in_h * s.in_w, out_plane = s.out_h * s.out_w;
  for (int64_t n = 0; n < s.batch; ++n) {
    for (int64_t oc = 0; oc < s.out_channels; ++oc) {
      const T* gp = dy + (n * s.out_channels + oc) * out_plane;
      if (db) {
        T acc = 0;
        for (int64_t i = 0; i < out_plane; ++i) acc += gp[i];
        db[oc] += acc;
      }
      for (int64_t ic = 0; ic < s.in_channels; ++ic) {
        const int64_t plane = (n * s.in_channels + ic) * in_plane;
        for (int64_t kh = 0; kh < s.kernel_h; ++kh) {
          const IndexRange rows = valid_outputs(s.in_h, s.out_h, s.stride_h, kh * s.dilation_h - s.pad_top);
          for (int64_t kw = 0; kw < s.kernel_w; ++kw) {
            const int64_t widx = ((oc * s.in_channels + ic) * s.kernel_h + kh) * s.kernel_w + kw;
            const int64_t off_w = kw * s.dilation_w - s.pad_left;
            const IndexRange cols = valid_outputs(s.in_w, s.out_w, s.stride_w, off_w);
            T dw_acc = 0;
            for (int64_t oh = rows.lo; oh <= rows.hi; ++oh) {
              const int64_t row = plane + (oh * s.stride_h + kh * s.dilation_h - s.pad_top) * s.in_w + off_w;
              const T* gr = gp + oh * s.out_w;
              if (dw) {
                const T* xr = x + row;
                for (int64_t ow = cols.lo; ow <= cols.hi; ++ow) dw_acc += gr[ow] * xr[ow * s.stride_w];
              }
              if (dx) {
                T* dxr = dx + row;
                const T wv = w[widx];
                for (int64_t ow = cols.lo; ow <= cols.hi; ++ow) dxr[ow * s.stride_w] += wv * gr[ow];
              }
            }
            if (dw) dw[widx] += dw_acc;
          }
        }
      }
    }
  }
}

template <typename T>
void conv1d_forward_naive(const T* x, const T* w, const T* b, T* y, const Conv1dShape& s) {
  conv2d_forward_naive(x, w, b, y, s.as_2d());
}
template <typename T>
void conv1d_backward_naive(const T* x, const T* w, const T* dy, T* dx, T* dw, T* db, const Conv1dShape& s) {
  conv2d_backward_naive(x, w, dy, dx, dw, db, s.as_2d());
}

#define SER_INSTANTIATE(T)                                                                        \
  template void conv2d_forward_naive<T>(const T*, const T*, const T*, T*, const Conv2dShape&);          \
  template void conv2d_backward_naive<T>(const T*, const T*, const T*, T*, T*, T*, const Conv2dShape&); \
  template void conv1d_forward_naive<T>(const T*, const T*, const T*, T*, const Conv1dShape&);          \
  template void conv1d_backward_naive<T>(const T*, const T*, const T*, T*, T*, T*, const Conv1dShape&);
SER_INSTANTIATE(float)
SER_INSTANTIATE(double)
#undef SER_INSTANTIATE

namespace {
thread_local std::vector<float> t_col, t_dcol, t_dz, t_partials, t_xpad, t_wflip, t_wflip_packed, t_y, t_dzw, t_dxw;
thread_local std::vector<const float*> t_rows, t_dz_rows;

bool is_pointwise(const Conv2dShape& s) {
  return s.kernel_h == 1 && s.kernel_w == 1 && s.stride_h == 1 && s.stride_w == 1 && s.pad_top == 0 &&
         s.pad_left == 0 && s.out_h == s.in_h && s.out_w == s.in_w;
}

// A 1-D convolution with few inputs per output (the TESS CNN's first layer:
// one feature row, kernel 13). As im2col + GEMM it copies the input once per
// tap and runs GEMMs with a depth of 13, where loading and storing the
// output tile costs as much as the arithmetic; direct loops over the output,
// several vectors wide, are faster on it (bench layer/tess_cnn1d/00; figures
// in bench/README.md, "Figures behind the code").
bool is_direct(const Conv2dShape& s) {
  return s.in_h == 1 && s.kernel_h == 1 && s.out_h == 1 && s.stride_w == 1 && s.dilation_w == 1 && s.pad_left == 0 &&
         s.pad_top == 0 && s.out_w == s.in_w - s.kernel_w + 1 && s.in_channels * s.kernel_w <= 16;
}

// The direct kernel's vectors: the widest native one (vector_math.hpp's
// F32Native), 16 floats with AVX-512, 8 with AVX2, where a 16-float vector
// went through the stack at every FMA (the TESS CNN's first layer ran at 2
// GFLOP/s). Each output is summed the same way in either: only how many
// run side by side changes.
using DirectVec = F32Native;
// AVX2: 4 x 2 accumulators, half of its sixteen registers.
constexpr int kDirectFilters = kAvx512Build ? 8 : 4;
constexpr int64_t kDirectLanes = sizeof(DirectVec) / sizeof(float);

// Outputs [t0, t0 + kDirectLanes V) of filters [f0, f0 + FG): the bias,
// then every tap in (channel, tap) order. Each tap's input vectors are
// loaded once for all FG filters (one per filter made the loads, not the
// FMAs, the limit); FG x V accumulators are as many independent FMA
// chains. The single-output tail sums in the same order.
template <int FG, int V>
void direct_block(const float* x, const float* w, const float* b, float* y, int64_t f0, int64_t t0,
                  const Conv2dShape& s, bool relu) {
  const int64_t ck = s.in_channels * s.kernel_w, L = s.out_w;
  DirectVec acc[FG][V];
  for (int f = 0; f < FG; ++f)
    for (int v = 0; v < V; ++v) acc[f][v] = DirectVec{} + (b ? b[f0 + f] : 0.0f);
  for (int64_t c = 0; c < s.in_channels; ++c)
    for (int64_t k = 0; k < s.kernel_w; ++k) {
      const float* xr = x + c * s.in_w + k + t0;
      DirectVec xv[V];
      for (int v = 0; v < V; ++v) std::memcpy(&xv[v], xr + kDirectLanes * v, sizeof xv[v]);
      for (int f = 0; f < FG; ++f) {
        const float wv = w[(f0 + f) * ck + c * s.kernel_w + k];
        for (int v = 0; v < V; ++v) acc[f][v] += wv * xv[v];
      }
    }
  for (int f = 0; f < FG; ++f)
    for (int v = 0; v < V; ++v) {
      const DirectVec out = relu ? (acc[f][v] > 0.0f ? acc[f][v] : DirectVec{}) : acc[f][v];
      std::memcpy(y + (f0 + f) * L + t0 + kDirectLanes * v, &out, sizeof out);
    }
}

void direct_output(const float* x, const float* wf, float bias, float* yf, int64_t t, const Conv2dShape& s, bool relu) {
  float acc = bias;
  for (int64_t c = 0; c < s.in_channels; ++c)
    for (int64_t k = 0; k < s.kernel_w; ++k) acc += wf[c * s.kernel_w + k] * x[c * s.in_w + k + t];
  yf[t] = relu ? (acc > 0.0f ? acc : 0.0f) : acc;
}

template <int FG>
void direct_filters(const float* x, const float* w, const float* b, float* y, int64_t f0, const Conv2dShape& s,
                    bool relu) {
  const int64_t L = s.out_w;
  int64_t t = 0;
  for (; t + 2 * kDirectLanes <= L; t += 2 * kDirectLanes) direct_block<FG, 2>(x, w, b, y, f0, t, s, relu);
  for (; t + kDirectLanes <= L; t += kDirectLanes) direct_block<FG, 1>(x, w, b, y, f0, t, s, relu);
  for (int f = 0; f < FG; ++f)
    for (int64_t u = t; u < L; ++u)
      direct_output(x, w + (f0 + f) * s.in_channels * s.kernel_w, b ? b[f0 + f] : 0.0f, y + (f0 + f) * L, u, s, relu);
}

void direct_forward(const float* x, const float* w, const float* b, float* y, const Conv2dShape& s, bool relu) {
  int64_t f = 0;
  for (; f + kDirectFilters <= s.out_channels; f += kDirectFilters) direct_filters<kDirectFilters>(x, w, b, y, f, s, relu);
  for (; f + 4 <= s.out_channels; f += 4) direct_filters<4>(x, w, b, y, f, s, relu);
  for (; f < s.out_channels; ++f) direct_filters<1>(x, w, b, y, f, s, relu);
}

// dw[f][j] += sum over t of dz[f][t] * x[c][k + t] (j = c * kernel_w + k)
// for filters [f0, f0 + FG) and taps [j0, j0 + JG): one accumulator per
// pair, lanes over t in steps of 16, so each dz and input vector is loaded
// once for JG taps or FG filters (a dot product per pair loaded two vectors
// per FMA); the lanes are then added pairwise and the last L % 16 products
// in order: a fixed order, whichever thread runs it.
template <int FG, int JG>
void direct_dw_block(const float* x, const float* dz, float* dw, int64_t f0, int64_t j0, const Conv2dShape& s) {
  constexpr int H = static_cast<int>(16 / kDirectLanes);  // native vectors per 16 lanes
  const int64_t L = s.out_w, ck = s.in_channels * s.kernel_w;
  const float* xr[JG];
  for (int j = 0; j < JG; ++j) xr[j] = x + (j0 + j) / s.kernel_w * s.in_w + (j0 + j) % s.kernel_w;
  DirectVec acc[FG][JG][H] = {};
  int64_t t = 0;
  for (; t + 16 <= L; t += 16) {
    DirectVec d[FG][H];
    for (int f = 0; f < FG; ++f) std::memcpy(&d[f], dz + (f0 + f) * L + t, sizeof d[f]);
    for (int j = 0; j < JG; ++j) {
      DirectVec xv[H];
      std::memcpy(&xv, xr[j] + t, sizeof xv);
      for (int f = 0; f < FG; ++f)
        for (int h = 0; h < H; ++h) acc[f][j][h] += d[f][h] * xv[h];
    }
  }
  for (int f = 0; f < FG; ++f)
    for (int j = 0; j < JG; ++j) {
      float lanes[16];
      static_assert(sizeof lanes == sizeof acc[f][j]);
      std::memcpy(lanes, &acc[f][j], sizeof lanes);
      for (int width = 8; width >= 1; width /= 2)
        for (int i = 0; i < width; ++i) lanes[i] += lanes[i + width];
      float sum = lanes[0];
      for (int64_t u = t; u < L; ++u) sum += dz[(f0 + f) * L + u] * xr[j][u];
      dw[(f0 + f) * ck + j0 + j] += sum;
    }
}

// Taps and filters per block: FG x JG x 16 lanes of accumulators, within
// the registers (AVX-512: 24 of 32; AVX2: 8 of 16, in pairs of ymm).
constexpr int kDwFilters = kAvx512Build ? 4 : 2, kDwTaps = kAvx512Build ? 6 : 2;

template <int FG>
void direct_dw_filters(const float* x, const float* dz, float* dw, int64_t f0, const Conv2dShape& s) {
  const int64_t ck = s.in_channels * s.kernel_w;
  int64_t j = 0;
  for (; j + kDwTaps <= ck; j += kDwTaps) direct_dw_block<FG, kDwTaps>(x, dz, dw, f0, j, s);
  switch (ck - j) {
    case 5: return direct_dw_block<FG, 5>(x, dz, dw, f0, j, s);
    case 4: return direct_dw_block<FG, 4>(x, dz, dw, f0, j, s);
    case 3: return direct_dw_block<FG, 3>(x, dz, dw, f0, j, s);
    case 2: return direct_dw_block<FG, 2>(x, dz, dw, f0, j, s);
    case 1: return direct_dw_block<FG, 1>(x, dz, dw, f0, j, s);
    default: return;
  }
}

// dz: the output gradient of one sample (after the fused relu's mask).
void direct_backward(const float* x, const float* w, const float* dz, float* dx, float* dw, const Conv2dShape& s) {
  const int64_t L = s.out_w, ck = s.in_channels * s.kernel_w;
  if (dw) {
    int64_t f = 0;
    for (; f + kDwFilters <= s.out_channels; f += kDwFilters) direct_dw_filters<kDwFilters>(x, dz, dw, f, s);
    for (; f < s.out_channels; ++f) direct_dw_filters<1>(x, dz, dw, f, s);
  }
  if (!dx) return;
  for (int64_t f = 0; f < s.out_channels; ++f) {
    const float* dzf = dz + f * L;
    for (int64_t c = 0; c < s.in_channels; ++c)
      for (int64_t k = 0; k < s.kernel_w; ++k) {
        const float wv = w[f * ck + c * s.kernel_w + k];
        float* dxr = dx + c * s.in_w + k;
        for (int64_t t = 0; t < L; ++t) dxr[t] += wv * dzf[t];
      }
  }
}

// A convolution with stride 1 (the TESS CNN's layers after the first, the
// FER and RAVDESS CNNs' 2-D layers): row (c, kh, kw) of its im2col matrix is
// the input (zero-padded where windows reach outside it) shifted by the tap,
// read on a "wide" grid of the padded input's row length Wp: output (oh, ow)
// is column oh * Wp + ow, and the Wp - out_w columns past each output row are
// computed and dropped. So the GEMMs read the input through row pointers
// (sgemm_rows) instead of a copied column matrix: the copy and its packing
// are gone (bench/README.md, "Figures behind the code"). Backward, dx is the
// full correlation of the zero-padded output gradient with the flipped
// kernel: the same kind of product, with no col2im. 1-D is one output row:
// no columns dropped. Pointwise convolutions keep their own path (their
// input is already the column matrix).
bool is_implicit(const Conv2dShape& s) {
  return s.stride_h == 1 && s.stride_w == 1 && !is_pointwise(s) && s.pad_top <= (s.kernel_h - 1) * s.dilation_h &&
         s.pad_left <= (s.kernel_w - 1) * s.dilation_w;
}

// The input region the windows cover, Hp x Wp from (-pad_top, -pad_left),
// and the wide output's columns.
struct WideGrid {
  int64_t Hp, Wp, N;
};
WideGrid wide_grid(const Conv2dShape& s) {
  const int64_t Hp = s.out_h + (s.kernel_h - 1) * s.dilation_h, Wp = s.out_w + (s.kernel_w - 1) * s.dilation_w;
  return {Hp, Wp, (s.out_h - 1) * Wp + s.out_w};
}

// Row pointers of one sample's im2col matrix on the wide grid [C*KH*KW, N],
// through a zero-padded copy of the input when the covered region is not
// the input itself.
const float* const* im2col_rows(const float* x, const Conv2dShape& s) {
  const WideGrid g = wide_grid(s);
  const float* base = x;
  int64_t plane = s.in_h * s.in_w, ld = s.in_w;
  if (s.pad_top > 0 || s.pad_left > 0 || g.Wp != s.in_w || g.Hp > s.in_h) {
    float* p = grow_scratch(t_xpad, s.in_channels * g.Hp * g.Wp);
    for (int64_t c = 0; c < s.in_channels; ++c)
      for (int64_t u = 0; u < g.Hp; ++u) {
        float* row = p + (c * g.Hp + u) * g.Wp;
        const int64_t i = u - s.pad_top;
        if (i < 0 || i >= s.in_h) {
          std::fill(row, row + g.Wp, 0.0f);
          continue;
        }
        const float* src = x + (c * s.in_h + i) * s.in_w;
        for (int64_t v = 0; v < g.Wp; ++v) {
          const int64_t j = v - s.pad_left;
          row[v] = j >= 0 && j < s.in_w ? src[j] : 0.0f;
        }
      }
    base = p;
    plane = g.Hp * g.Wp;
    ld = g.Wp;
  }
  t_rows.resize(static_cast<size_t>(s.in_channels * s.kernel_h * s.kernel_w));
  size_t r = 0;
  for (int64_t c = 0; c < s.in_channels; ++c)
    for (int64_t kh = 0; kh < s.kernel_h; ++kh)
      for (int64_t kw = 0; kw < s.kernel_w; ++kw)
        t_rows[r++] = base + c * plane + kh * s.dilation_h * ld + kw * s.dilation_w;
  return t_rows.data();
}

// Where one sample's output gradient dz goes for the GEMMs: channel oc's
// element (oh, ow) at oc * plane + offset + oh * row + ow, zeros elsewhere
// in the planes. The implicit path wants dz inside zeros (dx is the full
// correlation of the padded planes, Hq x Wq); the others want dz alone.
struct GradLayout {
  int64_t plane, row, offset;
};
GradLayout grad_layout(const Conv2dShape& s, bool implicit) {
  if (!implicit) return {s.out_h * s.out_w, s.out_w, 0};
  const int64_t Pt = (s.kernel_h - 1) * s.dilation_h - s.pad_top, Pl = (s.kernel_w - 1) * s.dilation_w - s.pad_left;
  const int64_t Hq = std::max(s.in_h + (s.kernel_h - 1) * s.dilation_h, Pt + s.out_h);
  const int64_t Wq = std::max(s.in_w + (s.kernel_w - 1) * s.dilation_w, Pl + s.out_w);
  return {Hq * Wq, Wq, Pt * Wq + Pl};
}
bool is_plain(const GradLayout& l, const Conv2dShape& s) { return l.offset == 0 && l.row == s.out_w; }
// The span of one channel's dz in a layout: from offset, this many values.
int64_t grad_span(const GradLayout& l, const Conv2dShape& s) { return (s.out_h - 1) * l.row + s.out_w; }

// dx[c][i][j] += sum over (oc, kh, kw) of w[oc][c][KH-1-kh][KW-1-kw] *
// dzpad[oc][i + kh*dh][j + kw*dw]: the weights rearranged once per call as
// [C, out_channels*KH*KW].
void flip_weights(const float* w, const Conv2dShape& s, float* wf) {
  const int64_t KH = s.kernel_h, KW = s.kernel_w, taps = KH * KW, ok = s.out_channels * taps;
  for (int64_t oc = 0; oc < s.out_channels; ++oc)
    for (int64_t c = 0; c < s.in_channels; ++c)
      for (int64_t kh = 0; kh < KH; ++kh)
        for (int64_t kw = 0; kw < KW; ++kw)
          wf[c * ok + oc * taps + kh * KW + kw] = w[((oc * s.in_channels + c) * KH + (KH - 1 - kh)) * KW + (KW - 1 - kw)];
}

// A [M, K] packed for sgemm_rows into buf, once per kernel call for the
// products of every sample (it was packed again in each).
const float* pack_once(std::vector<float>& buf, int64_t M, int64_t K, const float* A) {
  float* packed = grow_scratch(buf, sgemm_packed_a_size(M, K));
  sgemm_pack_a(M, K, A, K, packed);
  return packed;
}

// One sample's weight and input gradients from dz in the implicit layout g.
// wflip_packed: the flipped weights as sgemm_pack_a left them, once per call.
void implicit_backward(const float* x, const float* wflip, const float* wflip_packed, const float* g,
                       const GradLayout& l, float* dx, float* dw, const Conv2dShape& s, bool dx_overwrite) {
  const int64_t ckk = s.in_channels * s.kernel_h * s.kernel_w, ok = s.out_channels * s.kernel_h * s.kernel_w;
  const WideGrid wide = wide_grid(s);
  if (dw) {
    // dz on the input rows' wide grid (row length Wp; zeros past each output row).
    const float* a = g + l.offset;
    int64_t lda = l.plane;
    if (s.out_h > 1 && l.row != wide.Wp) {
      float* dzw = grow_scratch(t_dzw, s.out_channels * wide.N);
      for (int64_t oc = 0; oc < s.out_channels; ++oc)
        for (int64_t oh = 0; oh < s.out_h; ++oh) {
          const float* src = g + oc * l.plane + l.offset + oh * l.row;
          float* dst = dzw + oc * wide.N + oh * wide.Wp;
          std::copy(src, src + s.out_w, dst);
          if (oh + 1 < s.out_h) std::fill(dst + s.out_w, dst + wide.Wp, 0.0f);
        }
      a = dzw;
      lda = wide.N;
    }
    sgemm_rows(true, s.out_channels, ckk, wide.N, 1.0f, a, lda, im2col_rows(x, s), 1.0f, dw, ckk);
  }
  if (dx) {
    t_dz_rows.resize(static_cast<size_t>(ok));
    size_t r = 0;
    for (int64_t oc = 0; oc < s.out_channels; ++oc)
      for (int64_t kh = 0; kh < s.kernel_h; ++kh)
        for (int64_t kw = 0; kw < s.kernel_w; ++kw)
          t_dz_rows[r++] = g + oc * l.plane + kh * s.dilation_h * l.row + kw * s.dilation_w;
    const int64_t n_dx = (s.in_h - 1) * l.row + s.in_w;  // dx on the padded gradient's wide grid
    if (s.in_h == 1) {
      sgemm_rows(false, s.in_channels, n_dx, ok, 1.0f, wflip, ok, t_dz_rows.data(), dx_overwrite ? 0.0f : 1.0f, dx,
                 s.in_w, wflip_packed);
      return;
    }
    float* dxw = grow_scratch(t_dxw, s.in_channels * n_dx);
    sgemm_rows(false, s.in_channels, n_dx, ok, 1.0f, wflip, ok, t_dz_rows.data(), 0.0f, dxw, n_dx, wflip_packed);
    for (int64_t c = 0; c < s.in_channels; ++c)
      for (int64_t i = 0; i < s.in_h; ++i) {
        const float* src = dxw + c * n_dx + i * l.row;
        float* dst = dx + (c * s.in_h + i) * s.in_w;
        if (dx_overwrite)
          std::copy(src, src + s.in_w, dst);
        else
          for (int64_t j = 0; j < s.in_w; ++j) dst[j] += src[j];
      }
  }
}
}  // namespace

void im2col(const float* x, float* col, const Conv2dShape& s) {
  const int64_t ohw = s.out_h * s.out_w;
  for (int64_t c = 0; c < s.in_channels; ++c)
    for (int64_t kh = 0; kh < s.kernel_h; ++kh)
      for (int64_t kw = 0; kw < s.kernel_w; ++kw) {
        float* row = col + ((c * s.kernel_h + kh) * s.kernel_w + kw) * ohw;
        const int64_t off_w = kw * s.dilation_w - s.pad_left;
        const IndexRange cols = valid_outputs(s.in_w, s.out_w, s.stride_w, off_w);
        for (int64_t oh = 0; oh < s.out_h; ++oh) {
          float* dst = row + oh * s.out_w;
          const int64_t ih = oh * s.stride_h + kh * s.dilation_h - s.pad_top;
          if (ih < 0 || ih >= s.in_h || cols.hi < cols.lo) {
            std::fill(dst, dst + s.out_w, 0.0f);
            continue;
          }
          const float* src = x + (c * s.in_h + ih) * s.in_w + off_w;
          std::fill(dst, dst + cols.lo, 0.0f);
          if (s.stride_w == 1)
            std::copy(src + cols.lo, src + cols.hi + 1, dst + cols.lo);
          else
            for (int64_t ow = cols.lo; ow <= cols.hi; ++ow) dst[ow] = src[ow * s.stride_w];
          std::fill(dst + cols.hi + 1, dst + s.out_w, 0.0f);
        }
      }
}

void col2im_add(const float* col, float* x, const Conv2dShape& s) {
  const int64_t ohw = s.out_h * s.out_w;
  for (int64_t c = 0; c < s.in_channels; ++c)
    for (int64_t kh = 0; kh < s.kernel_h; ++kh)
      for (int64_t kw = 0; kw < s.kernel_w; ++kw) {
        const float* row = col + ((c * s.kernel_h + kh) * s.kernel_w + kw) * ohw;
        const int64_t off_w = kw * s.dilation_w - s.pad_left;
        const IndexRange cols = valid_outputs(s.in_w, s.out_w, s.stride_w, off_w);
        for (int64_t oh = 0; oh < s.out_h; ++oh) {
          const int64_t ih = oh * s.stride_h + kh * s.dilation_h - s.pad_top;
          if (ih < 0 || ih >= s.in_h) continue;
          const float* src = row + oh * s.out_w;
          float* dst = x + (c * s.in_h + ih) * s.in_w + off_w;
          for (int64_t ow = cols.lo; ow <= cols.hi; ++ow) dst[ow * s.stride_w] += src[ow];
        }
      }
}

namespace {
// Which path a convolution takes: direct (few inputs per output), implicit
// im2col, or im2col + sgemm. Both im2col paths give the same bits (each
// output sums its products in one order), so the choice is the shape's alone.
enum class ConvPath { direct, implicit, im2col };
ConvPath conv_path(const Conv2dShape& s) {
  if (is_direct(s)) return ConvPath::direct;
  if (is_implicit(s)) return ConvPath::implicit;
  return ConvPath::im2col;
}

thread_local std::vector<const float*> t_rows_shifted;
thread_local std::vector<float> t_band, t_band_y, t_wpack;

// The implicit path of one sample, band by band: a band is a run of output
// rows (2-D) or columns (1-D), or of the max pool's output rows or columns
// when the pool is fused, with the convolution rows or columns its windows
// read. Each band is computed on the wide grid into a buffer that stays in
// L2 (the bias, the product, the relu), then kept or pooled from there, so
// the output is written once. The whole wide grid, filled, multiplied into,
// copied, relu'd and pooled in turn, was five passes over memory: the
// RAVDESS CNN's first layer (2.7 MB of output) ran at a third of the FMA
// peak. Bands are also what the threads share when a sample is alone.
struct Band {
  int64_t h0, h1, w0, w1;  // convolution output rows and columns
  int64_t r0, r1, c0, c1;  // pooled output rows and columns (with a pool)
  int64_t m0, m1;          // output channels
};

// Bands along the band axis, each cut into `groups` runs of output channels
// when there are too few bands to share among the threads (the RAVDESS
// CNN's third layer pools to 5 rows): tasks are (band, group) pairs.
struct BandPlan {
  int64_t units, per_band;  // rows or columns of the band axis, and per band
  int64_t groups = 1;
  int64_t bands() const { return (units + per_band - 1) / per_band; }
  int64_t count() const { return bands() * groups; }
};

// Columns of the wide grid per band: at least one micro-kernel pass worth
// packing the weights for, at most a buffer of kBandFloats.
constexpr int64_t kBandMinColumns = 256, kBandFloats = 1 << 15;

BandPlan plan_bands(const Conv2dShape& s, const Pool2dShape* p, int threads) {
  const bool two_d = s.out_h > 1;
  const int64_t Wp = wide_grid(s).Wp;
  const int64_t units = std::max<int64_t>(1, p ? (two_d ? p->out_h : p->out_w) : (two_d ? s.out_h : s.out_w));
  const int64_t unit_cols = (two_d ? Wp : 1) * (p ? (two_d ? p->stride_h : p->stride_w) : 1);
  int64_t per = std::max((kBandMinColumns + unit_cols - 1) / unit_cols, kBandFloats / (s.out_channels * unit_cols));
  BandPlan plan{units, std::clamp<int64_t>(per, 1, units)};
  if (threads > 1) {
    // A few tasks per thread so that stealing evens them out: runs of output
    // channels first (at least two micro-kernel panels each; narrower bands
    // would make narrower products), then narrower bands if still too few.
    const int64_t want = 4 * threads, most_groups = std::max<int64_t>(1, s.out_channels / (2 * sgemm_panel_rows()));
    plan.groups = std::clamp<int64_t>((want + plan.bands() - 1) / plan.bands(), 1, most_groups);
    if (plan.count() < want) plan.per_band = std::max<int64_t>(1, units * plan.groups / want);
  }
  plan.per_band = (units + plan.bands() - 1) / plan.bands();  // bands of even size
  return plan;
}

Band band_at(const Conv2dShape& s, const Pool2dShape* p, const BandPlan& plan, int64_t task) {
  const int64_t i = task / plan.groups;
  const auto [m0, m1] = sgemm_panel_group(s.out_channels, task % plan.groups, plan.groups);
  const int64_t u0 = i * plan.per_band, u1 = std::min(plan.units, u0 + plan.per_band);
  if (!p) return s.out_h > 1 ? Band{u0, u1, 0, s.out_w, 0, 0, 0, 0, m0, m1} : Band{0, 1, u0, u1, 0, 0, 0, 0, m0, m1};
  // The rows (columns) the pooled rows' windows cover, clipped as the pool clips them.
  auto cover = [](int64_t a, int64_t b, int64_t stride, int64_t size, int64_t pad, int64_t n) {
    return std::pair{std::max<int64_t>(0, a * stride - pad), std::min(n, (b - 1) * stride - pad + size)};
  };
  if (s.out_h > 1) {
    const auto [h0, h1] = cover(u0, u1, p->stride_h, p->pool_h, p->pad_top, s.out_h);
    return {h0, h1, 0, s.out_w, u0, u1, 0, p->out_w, m0, m1};
  }
  const auto [w0, w1] = cover(u0, u1, p->stride_w, p->pool_w, p->pad_left, s.out_w);
  return {0, 1, w0, w1, 0, 1, u0, u1, m0, m1};
}

// Max pooling of one band's relu'd output yb [m1 - m0, h1 - h0, w1 - w0]
// into the pooled rows and columns the band owns, winners indexed in the
// whole output plane.
void pool_band(const float* yb, const Band& b, const Conv2dShape& s, const Pool2dShape& p, float* pooled,
               int32_t* argmax) {
  Pool2dShape local = p;
  local.planes = 1;
  local.in_h = b.h1 - b.h0;
  local.in_w = b.w1 - b.w0;
  local.pad_top = b.h0 - (b.r0 * p.stride_h - p.pad_top);
  local.pad_left = b.w0 - (b.c0 * p.stride_w - p.pad_left);
  local.out_h = b.r1 - b.r0;
  local.out_w = b.c1 - b.c0;
  const int64_t in_plane = local.in_h * local.in_w, out_count = local.out_h * local.out_w;
  const int32_t shift = static_cast<int32_t>(b.h0 * s.out_w + b.w0);  // one row, or rows as long as the plane's
  for (int64_t oc = b.m0; oc < b.m1; ++oc) {
    const int64_t at = oc * p.out_h * p.out_w + b.r0 * p.out_w + b.c0;
    maxpool2d_forward(yb + (oc - b.m0) * in_plane, pooled + at, argmax + at, local, 1);  // one plane: one thread
    for (int64_t o = 0; o < out_count; ++o) argmax[at + o] += shift;
  }
}

// dst = relu(src) or src, and the same of src + add.
void keep_columns(const float* src, float* dst, int64_t n, bool relu) {
  if (relu)
    for (int64_t c = 0; c < n; ++c) dst[c] = src[c] > 0.0f ? src[c] : 0.0f;
  else
    std::copy(src, src + n, dst);
}
void keep_columns_plus(const float* src, float add, float* dst, int64_t n, bool relu) {
  for (int64_t c = 0; c < n; ++c) {
    const float v = add + src[c];
    dst[c] = relu && !(v > 0.0f) ? 0.0f : v;
  }
}

// One band: bias, product and relu on the wide grid, then into y (the
// output) or, with a pool, through the pool into pooled and argmax.
void implicit_band(const float* w, const float* wpack, const float* b, const float* const* rows, const Band& band,
                   const Conv2dShape& s, bool relu, float* y, const Pool2dShape* p, float* pooled, int32_t* argmax) {
  const int64_t M = band.m1 - band.m0, K = s.in_channels * s.kernel_h * s.kernel_w, Wp = wide_grid(s).Wp;
  const int64_t bh = band.h1 - band.h0, bw = band.w1 - band.w0;
  const int64_t lo = band.h0 * Wp + band.w0, n = (bh - 1) * Wp + bw;
  float* wide = grow_scratch(t_band, M * n);  // the band's channels from m0
  // The bias is where each sum starts. With one depth block (K <= 256) the
  // product alone, then + bias as the columns are kept, is the same addition
  // (bias + sum, rounded once) without a pass that fills the buffer first.
  const bool bias_after = K <= kGemmDepthBlock;
  if (!bias_after)
    for (int64_t j = 0; j < M; ++j) std::fill(wide + j * n, wide + (j + 1) * n, b ? b[band.m0 + j] : 0.0f);
  t_rows_shifted.resize(static_cast<size_t>(K));
  for (int64_t k = 0; k < K; ++k) t_rows_shifted[static_cast<size_t>(k)] = rows[k] + lo;
  sgemm_rows(false, M, n, K, 1.0f, w + band.m0 * K, K, t_rows_shifted.data(), bias_after ? 0.0f : 1.0f, wide, n,
             wpack + band.m0 * K);
  // Kept columns: straight into y's rows, or into the band's own planes for the pool.
  float* kept = p ? grow_scratch(t_band_y, M * bh * bw) : nullptr;
  for (int64_t j = 0; j < M; ++j) {
    const int64_t oc = band.m0 + j;
    const float add = bias_after && b ? b[oc] : 0.0f;  // + 0: the sum's own bits (a -0 sum as the fill gave it: +0)
    for (int64_t r = 0; r < bh; ++r) {
      const float* src = wide + j * n + r * Wp;
      float* dst = p ? kept + (j * bh + r) * bw : y + (oc * s.out_h + band.h0 + r) * s.out_w + band.w0;
      if (!bias_after)
        keep_columns(src, dst, bw, relu);
      else
        keep_columns_plus(src, add, dst, bw, relu);
    }
  }
  if (p) pool_band(kept, band, s, *p, pooled, argmax);
}

// One sample on the implicit path: y = conv(x) + b (relu'd if asked), or,
// with p, its relu'd max pool. A sample alone (as batch-1 inference runs)
// shares its bands among up to `sample_threads` threads from kSplitFlops on.
void implicit_sample(const float* x, const float* w, const float* wpack, const float* b, const Conv2dShape& s,
                     bool relu, float* y, const Pool2dShape* p, float* pooled, int32_t* argmax, int sample_threads) {
  constexpr double kSplitFlops = 8e6;
  const WideGrid g = wide_grid(s);
  const double flops = 2.0 * static_cast<double>(s.out_channels * s.in_channels * s.kernel_h * s.kernel_w * g.N);
  const int threads = !omp_in_parallel() && flops >= kSplitFlops ? std::max(sample_threads, 1) : 1;
  const BandPlan plan = plan_bands(s, p, threads);
  const float* const* rows = im2col_rows(x, s);
  for_tasks_balanced(plan.count(), threads, [&](int64_t i) {
    implicit_band(w, wpack, b, rows, band_at(s, p, plan, i), s, relu, y, p, pooled, argmax);
  });
}

// One sample: y = conv(x) + b, relu'd if asked, on up to `sample_threads`
// threads (more than one only when the samples are not shared out).
void forward_sample(const float* x, const float* w, const float* wpack, const float* b, float* y,
                    const Conv2dShape& s, bool relu, ConvPath path, int sample_threads) {
  const int64_t ckk = s.in_channels * s.kernel_h * s.kernel_w, ohw = s.out_h * s.out_w, out_size = s.out_channels * ohw;
  if (path == ConvPath::direct) {
    direct_forward(x, w, b, y, s, relu);
    return;
  }
  if (path == ConvPath::implicit) {
    implicit_sample(x, w, wpack, b, s, relu, y, nullptr, nullptr, nullptr, sample_threads);
    return;
  }
  for (int64_t oc = 0; oc < s.out_channels; ++oc) std::fill(y + oc * ohw, y + (oc + 1) * ohw, b ? b[oc] : 0.0f);
  const float* col = x;
  if (!is_pointwise(s)) {
    float* buf = grow_scratch(t_col, ckk * ohw);
    im2col(x, buf, s);
    col = buf;
  }
  sgemm(false, false, s.out_channels, ohw, ckk, 1.0f, w, ckk, col, ohw, 1.0f, y, ohw, sample_threads);
  if (relu)
    for (int64_t i = 0; i < out_size; ++i) y[i] = y[i] > 0.0f ? y[i] : 0.0f;
}

// The implicit path's weights packed once for all its bands and samples (on
// the calling thread, before they are shared out); nullptr on other paths.
const float* packed_weights(const float* w, const Conv2dShape& s, ConvPath path) {
  if (path != ConvPath::implicit) return nullptr;
  return pack_once(t_wpack, s.out_channels, s.in_channels * s.kernel_h * s.kernel_w, w);
}

// The batch of a forward pass on up to `threads` threads: one task per
// sample (see for_tasks_balanced), or the samples in turn, each on all of
// them (sample(n, threads each sample may use)).
template <typename Sample>
void for_samples(int64_t batch, int threads, const Sample& sample) {
  if (batch_threads(batch, threads) <= 1) {
    for (int64_t n = 0; n < batch; ++n) sample(n, threads);
    return;
  }
  for_tasks_balanced(batch, batch_threads(batch, threads), [&](int64_t n) { sample(n, 1); });
}
}  // namespace

void conv2d_forward(const float* x, const float* w, const float* b, float* y, const Conv2dShape& s, bool relu,
                    int threads) {
  if (winograd1d_applies(s)) {
    conv1d_winograd_forward(x, w, b, y, s, relu, threads);
    return;
  }
  if (winograd_forward_applies(s)) {
    conv2d_winograd_forward(x, w, b, y, s, relu, threads);
    return;
  }
  const int64_t in_size = s.in_channels * s.in_h * s.in_w, out_size = s.out_channels * s.out_h * s.out_w;
  const ConvPath path = conv_path(s);
  const float* wpack = packed_weights(w, s, path);
  for_samples(s.batch, threads, [&](int64_t n, int sample_threads) {
    forward_sample(x + n * in_size, w, wpack, b, y + n * out_size, s, relu, path, sample_threads);
  });
}

void conv2d_relu_maxpool_forward(const float* x, const float* w, const float* b, float* pooled, int32_t* argmax,
                                 const Conv2dShape& s, const Pool2dShape& p, int threads) {
  if (winograd_forward_applies(s)) {
    conv2d_winograd_relu_maxpool_forward(x, w, b, pooled, argmax, s, p, threads);
    return;
  }
  const int64_t in_size = s.in_channels * s.in_h * s.in_w, out_size = s.out_channels * s.out_h * s.out_w;
  const int64_t pooled_size = p.planes * p.out_h * p.out_w;
  const ConvPath path = conv_path(s);
  const float* wpack = packed_weights(w, s, path);
  for_samples(s.batch, threads, [&](int64_t n, int sample_threads) {
    if (path == ConvPath::implicit) {  // pooled band by band
      implicit_sample(x + n * in_size, w, wpack, b, s, true, nullptr, &p, pooled + n * pooled_size,
                      argmax + n * pooled_size, sample_threads);
      return;
    }
    float* y = grow_scratch(t_y, out_size);
    forward_sample(x + n * in_size, w, wpack, b, y, s, true, path, sample_threads);
    maxpool2d_forward(y, pooled + n * pooled_size, argmax + n * pooled_size, p, sample_threads);
  });
}

namespace {
// The weights flipped and packed for the implicit path's input gradient
// (a convolution of dz by the flipped kernel); null pointers when unused.
struct FlippedWeights {
  const float* w = nullptr;
  const float* packed = nullptr;
};
FlippedWeights flipped_weights(const float* w, const Conv2dShape& s) {
  float* wf = grow_scratch(t_wflip, s.out_channels * s.in_channels * s.kernel_h * s.kernel_w);
  flip_weights(w, s, wf);
  return {wf, pack_once(t_wflip_packed, s.in_channels, s.out_channels * s.kernel_h * s.kernel_w, wf)};
}

// One sample's gradients through im2col and the GEMM: dw += dz col^T
// (col is x itself for a 1x1 kernel), dx += w^T dz, through col2im unless
// pointwise. dx and dw may be null.
void gemm_sample_backward(const float* xn, const float* w, const float* dz, float* dxn, float* dw, const Conv2dShape& s,
                          bool pointwise, int threads) {
  const int64_t ckk = s.in_channels * s.kernel_h * s.kernel_w, ohw = s.out_h * s.out_w;
  if (dw) {
    const float* col = xn;
    if (!pointwise) {
      float* buf = grow_scratch(t_col, ckk * ohw);
      im2col(xn, buf, s);
      col = buf;
    }
    sgemm(false, true, s.out_channels, ckk, ohw, 1.0f, dz, ohw, col, ohw, 1.0f, dw, ckk, threads);
  }
  if (!dxn) return;
  if (pointwise) {
    sgemm(true, false, ckk, ohw, s.out_channels, 1.0f, w, ckk, dz, ohw, 1.0f, dxn, ohw, threads);
    return;
  }
  float* dcol = grow_scratch(t_dcol, ckk * ohw);
  sgemm(true, false, ckk, ohw, s.out_channels, 1.0f, w, ckk, dz, ohw, 0.0f, dcol, ohw, threads);
  col2im_add(dcol, dxn, s);
}

// Weight and bias gradients are summed per chunk of samples, then over the
// chunks in order, so the bits depend neither on which thread ran a chunk
// (threads steal chunks to balance) nor on the thread count (ser picks it
// step by step on a busy machine). A chunk is one sample unless that would
// make the partial sums large (over 1 MB): big weights get fewer, longer
// chunks, but at least kMinChunks so that threads still share them.
int64_t gradient_chunks(int64_t batch, int64_t partial_size) {
  constexpr int64_t kMinChunks = 8;
  return std::min<int64_t>(batch, std::max<int64_t>(kMinChunks, (int64_t{1} << 18) / partial_size));
}

// Thread t of T adds its slice (whole cache lines) of `count` gradient
// values, at `offset` in each chunk's partial sums, to dst in chunk order.
// Fresh gradients take the first chunk's as 0 + sum: the bits of adding to zeros.
void add_chunk_sums(float* dst, const float* partials, int64_t chunks, int64_t partial_size, int64_t offset,
                    int64_t count, bool fresh, int t, int T) {
  if (!dst) return;
  const int64_t lines = (count + 15) / 16;
  const int64_t lo = std::min(count, lines * t / T * 16), hi = std::min(count, lines * (t + 1) / T * 16);
  for (int64_t c = 0; c < chunks; ++c) {
    const float* p = partials + c * partial_size + offset;
    if (c == 0 && fresh)
      for (int64_t i = lo; i < hi; ++i) dst[i] = 0.0f + p[i];
    else
      for (int64_t i = lo; i < hi; ++i) dst[i] += p[i];
  }
}

// The backward pass with each sample's output gradient dz (after the fused
// relu's mask) from dz_of(n, scratch, layout): a pointer to it in that
// layout, written to scratch (sized for the layout) or, when it can be read
// where it is, not.
template <typename DzOf>
void backward_impl(const float* x, const float* w, const DzOf& dz_of, float* dx, float* dw, float* db,
                   const Conv2dShape& s, Overwrite overwrite, int most_threads) {
  const int64_t in_size = s.in_channels * s.in_h * s.in_w;
  const int64_t wsize = s.out_channels * s.in_channels * s.kernel_h * s.kernel_w;
  const ConvPath path = conv_path(s);
  const bool implicit = path == ConvPath::implicit;
  const GradLayout layout = grad_layout(s, implicit);
  const int threads = batch_threads(s.batch, most_threads);
  const FlippedWeights flipped = implicit && dx ? flipped_weights(w, s) : FlippedWeights{};
  const int64_t psize = wsize + s.out_channels;  // a chunk's partial sums: dw, then db
  const int64_t chunks = gradient_chunks(s.batch, psize);
  float* partials = grow_scratch(t_partials, chunks * psize);
  auto run = [&](float* dwp, int64_t n0, int64_t n1, int sample_threads) {
    float* dbp = dwp + wsize;
    std::fill(dwp, dwp + psize, 0.0f);
    for (int64_t n = n0; n < n1; ++n) {
      const float* dz = dz_of(n, grow_scratch(t_dz, s.out_channels * layout.plane), layout);
      if (db)
        for (int64_t oc = 0; oc < s.out_channels; ++oc)
          dbp[oc] += sum_fixed_order(dz + oc * layout.plane + layout.offset, grad_span(layout, s));
      const float* xn = x + n * in_size;
      float* dxn = dx ? dx + n * in_size : nullptr;
      if (implicit) {
        implicit_backward(xn, flipped.w, flipped.packed, dz, layout, dxn, dw ? dwp : nullptr, s, overwrite.dx);
        continue;
      }
      if (dxn && overwrite.dx) std::fill(dxn, dxn + in_size, 0.0f);  // the paths below add
      if (path == ConvPath::direct)
        direct_backward(xn, w, dz, dxn, dw ? dwp : nullptr, s);
      else
        gemm_sample_backward(xn, w, dz, dxn, dw ? dwp : nullptr, s, is_pointwise(s), sample_threads);
    }
  };
  // Then each element adds the chunks' sums in chunk order, the threads taking slices of the weights and biases.
  auto add_partials = [&](int t, int T) {
    add_chunk_sums(dw, partials, chunks, psize, 0, wsize, overwrite.params, t, T);
    add_chunk_sums(db, partials, chunks, psize, wsize, s.out_channels, overwrite.params, t, T);
  };
  for_tasks_balanced(
      chunks, threads,
      [&](int64_t c) {
        run(partials + c * psize, s.batch * c / chunks, s.batch * (c + 1) / chunks, threads <= 1 ? most_threads : 1);
      },
      add_partials);
}
}  // namespace

void conv2d_backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db,
                     const Conv2dShape& s, const float* relu_y, Overwrite overwrite, int threads) {
  if (winograd1d_applies(s)) {
    conv1d_winograd_backward(x, w, dy, dx, dw, db, s, relu_y, overwrite, threads);
    return;
  }
  if (winograd_backward_applies(s)) {
    conv2d_winograd_backward(x, w, dy, dx, dw, db, s, relu_y, overwrite, threads);
    return;
  }
  if (dx && winograd_forward_applies(s)) {  // dx by Winograd's blocked forward, the rest below
    conv2d_winograd_input_grad(w, dy, relu_y, dx, s, overwrite.dx, threads);
    dx = nullptr;
    if (!dw && !db) return;
  }
  if (winograd_weight_grad_applies(s)) {  // dw and db by Winograd's blocked products
    conv2d_winograd_weight_grad(x, dy, relu_y, dw, db, s, overwrite.params, threads);
    return;
  }
  const int64_t ohw = s.out_h * s.out_w, out_size = s.out_channels * ohw;
  auto dz_of = [&](int64_t n, float* g, const GradLayout& l) -> const float* {
    const float* d = dy + n * out_size;
    if (!relu_y && is_plain(l, s)) return d;  // used where it is
    const float* yn = relu_y ? relu_y + n * out_size : nullptr;
    if (!is_plain(l, s)) std::fill(g, g + s.out_channels * l.plane, 0.0f);
    for (int64_t oc = 0; oc < s.out_channels; ++oc)
      for (int64_t oh = 0; oh < s.out_h; ++oh) {
        float* row = g + oc * l.plane + l.offset + oh * l.row;
        const int64_t at = oc * ohw + oh * s.out_w;
        if (yn)
          for (int64_t ow = 0; ow < s.out_w; ++ow) row[ow] = yn[at + ow] > 0.0f ? d[at + ow] : 0.0f;
        else
          std::copy(d + at, d + at + s.out_w, row);
      }
    return g;
  };
  backward_impl(x, w, dz_of, dx, dw, db, s, overwrite, threads);
}

void conv2d_relu_maxpool_backward(const float* x, const float* w, const float* pooled, const int32_t* argmax,
                                  const float* dpooled, float* dx, float* dw, float* db, const Conv2dShape& s,
                                  const Pool2dShape& p, Overwrite overwrite, int threads) {
  if (winograd_backward_applies(s) || (dx && winograd_forward_applies(s))) {
    conv2d_winograd_relu_maxpool_backward(x, w, pooled, argmax, dpooled, dx, dw, db, s, p, overwrite, threads);
    return;
  }
  const int64_t pooled_plane = p.out_h * p.out_w, pooled_size = p.planes * pooled_plane;
  // dz is zero but at each window's winner, which gets the window's gradient
  // if its relu output (the pooled value) is positive: what max-pool
  // backward followed by relu's mask give, in the same order.
  // 1-D windows that tile the output row (stride = pool, no padding: the
  // TESS CNN's): every position is in at most one window, so dz is written
  // in one pass, window by window, with no zeroing first and no scatter.
  const bool tiles = pool_tiles_row(p);
  auto dz_of = [&](int64_t n, float* g, const GradLayout& l) -> const float* {
    const float* pv = pooled + n * pooled_size;
    const float* dp = dpooled + n * pooled_size;
    const int32_t* am = argmax + n * pooled_size;
    if (tiles) {
      const int64_t covered = p.out_w * p.pool_w;
      for (int64_t oc = 0; oc < s.out_channels; ++oc) {
        float* plane = g + oc * l.plane;
        float* row = plane + l.offset;
        const int64_t o = oc * pooled_plane;
        std::fill(plane, row, 0.0f);
        maxpool1d_tiles_backward(am + o, dp + o, pv + o, p.out_w, p.pool_w, row);
        std::fill(row + covered, plane + l.plane, 0.0f);
      }
      return g;
    }
    std::fill(g, g + s.out_channels * l.plane, 0.0f);
    // A winner's index in the conv output plane is where it goes in the
    // layout unless output rows are laid out longer (2-D implicit): then
    // its row moves. (The division only there: per winner it cost more
    // than the scatter.)
    const bool same_index = s.out_h == 1 || l.row == s.out_w;
    for (int64_t oc = 0; oc < s.out_channels; ++oc) {
      float* plane = g + oc * l.plane + l.offset;
      for (int64_t o = oc * pooled_plane; o < (oc + 1) * pooled_plane; ++o) {
        const int64_t at = same_index ? am[o] : am[o] / s.out_w * l.row + am[o] % s.out_w;
        plane[at] += relu_masked_gradient(dp, pv, o);
      }
    }
    return g;
  };
  backward_impl(x, w, dz_of, dx, dw, db, s, overwrite, threads);
}

void conv1d_forward(const float* x, const float* w, const float* b, float* y, const Conv1dShape& s, bool relu,
                    int threads) {
  conv2d_forward(x, w, b, y, s.as_2d(), relu, threads);
}
void conv1d_backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db,
                     const Conv1dShape& s, const float* relu_y, Overwrite overwrite, int threads) {
  conv2d_backward(x, w, dy, dx, dw, db, s.as_2d(), relu_y, overwrite, threads);
}

}  // namespace ser::nn
