#include "nn/kernels/pool.hpp"

#include <omp.h>

#include <algorithm>
#include <cstring>

#include "nn/kernels/vector_math.hpp"

namespace ser::nn {

namespace {
struct Window {
  int64_t h0, h1, w0, w1;  // input rows [h0, h1), columns [w0, w1), clipped to the input
};
Window window_at(const Pool2dShape& s, int64_t oh, int64_t ow) {
  const int64_t h = oh * s.stride_h - s.pad_top, w = ow * s.stride_w - s.pad_left;
  return {std::max<int64_t>(h, 0), std::min(h + s.pool_h, s.in_h), std::max<int64_t>(w, 0),
          std::min(w + s.pool_w, s.in_w)};
}
}  // namespace

template <typename T>
void maxpool2d_forward_naive(const T* x, T* y, int32_t* argmax, const Pool2dShape& s) {
  for (int64_t p = 0; p < s.planes; ++p) {
    const T* xp = x + p * s.in_h * s.in_w;
    for (int64_t oh = 0; oh < s.out_h; ++oh) {
      for (int64_t ow = 0; ow < s.out_w; ++ow) {
        const Window win = window_at(s, oh, ow);
        int64_t best = win.h0 * s.in_w + win.w0;
        for (int64_t h = win.h0; h < win.h1; ++h)
          for (int64_t w = win.w0; w < win.w1; ++w)
            if (xp[h * s.in_w + w] > xp[best]) best = h * s.in_w + w;
        const int64_t o = (p * s.out_h + oh) * s.out_w + ow;
        y[o] = xp[best];
        argmax[o] = static_cast<int32_t>(best);
      }
    }
  }
}

template <typename T>
void maxpool2d_backward_naive(const int32_t* argmax, const T* dy, T* dx, const Pool2dShape& s) {
  const int64_t out_plane = s.out_h * s.out_w;
  for (int64_t p = 0; p < s.planes; ++p) {
    T* dxp = dx + p * s.in_h * s.in_w;
    for (int64_t i = 0; i < out_plane; ++i) dxp[argmax[p * out_plane + i]] += dy[p * out_plane + i];
  }
}

template <typename T>
void avgpool2d_forward_naive(const T* x, T* y, const Pool2dShape& s) {
  for (int64_t p = 0; p < s.planes; ++p) {
    const T* xp = x + p * s.in_h * s.in_w;
    for (int64_t oh = 0; oh < s.out_h; ++oh) {
      for (int64_t ow = 0; ow < s.out_w; ++ow) {
        const Window win = window_at(s, oh, ow);
        T acc = 0;
        for (int64_t h = win.h0; h < win.h1; ++h)
          for (int64_t w = win.w0; w < win.w1; ++w) acc += xp[h * s.in_w + w];
        y[(p * s.out_h + oh) * s.out_w + ow] = acc / T((win.h1 - win.h0) * (win.w1 - win.w0));
      }
    }
  }
}

template <typename T>
void avgpool2d_backward_naive(const T* dy, T* dx, const Pool2dShape& s) {
  for (int64_t p = 0; p < s.planes; ++p) {
    T* dxp = dx + p * s.in_h * s.in_w;
    for (int64_t oh = 0; oh < s.out_h; ++oh) {
      for (int64_t ow = 0; ow < s.out_w; ++ow) {
        const Window win = window_at(s, oh, ow);
        const T g = dy[(p * s.out_h + oh) * s.out_w + ow] / T((win.h1 - win.h0) * (win.w1 - win.w0));
        for (int64_t h = win.h0; h < win.h1; ++h)
          for (int64_t w = win.w0; w < win.w1; ++w) dxp[h * s.in_w + w] += g;
      }
    }
  }
}

#define SER_INSTANTIATE(T)                                                               \
  template void maxpool2d_forward_naive<T>(const T*, T*, int32_t*, const Pool2dShape&);        \
  template void maxpool2d_backward_naive<T>(const int32_t*, const T*, T*, const Pool2dShape&); \
  template void avgpool2d_forward_naive<T>(const T*, T*, const Pool2dShape&);                  \
  template void avgpool2d_backward_naive<T>(const T*, T*, const Pool2dShape&);
SER_INSTANTIATE(float)
SER_INSTANTIATE(double)
#undef SER_INSTANTIATE

namespace {
// Windows of PH x PW (known at compile time) that lie inside the plane: the
// outputs [lo, hi) of one output row whose windows start at input row hs.
// Unrolled compares and selects per output, in the naive kernel's order (the
// generic loop below, with its clipping and run-time bounds, was a tenth of
// a FER CNN training step in its 2 x 2 pools). With PH = 1 and the stride
// equal to PW the loop over outputs vectorises.
template <int PH, int PW>
int64_t maxpool_interior(const float* x, float* y, int32_t* arg, int64_t in_w, int64_t stride_w, int64_t hs,
                         int64_t lo, int64_t hi) {
  for (int64_t o = lo; o < hi; ++o) {
    const int64_t base = hs * in_w + o * stride_w;
    float m = x[base];
    int32_t best = static_cast<int32_t>(base);
    for (int i = 0; i < PH; ++i)
      for (int j = i == 0 ? 1 : 0; j < PW; ++j) {
        const int64_t at = base + i * in_w + j;
        const float v = x[at];
        const bool wins = v > m;  // strictly greater: ties keep the first, as PyTorch
        best = wins ? static_cast<int32_t>(at) : best;
        m = wins ? v : m;
      }
    y[o] = m;
    arg[o] = best;
  }
  return hi;
}

using i32x16 = int32_t __attribute__((vector_size(64)));

// The 16-lane paths below rest on permutes that AVX-512 does in one
// instruction (vpermt2ps, vpermps). Without it GCC builds each from memory
// lane by lane: on an AVX2 machine the TESS CNN's pool 3 ran 20x slower
// that way than the scalar loops, which then take their place (the same
// bits: the same comparisons in the same order).
constexpr bool kPermutesInOneInstruction = kAvx512Build;

// 1-D windows of P with stride P, sixteen at a time: the P inputs of each
// window gathered into P vectors by fixed two-source permutes (vpermt2ps),
// then compared as maxpool_interior does, in the same order (ties and NaN
// keep the earlier). GCC's own vectorisation of that loop carried the
// indices in 64-bit lanes and was a twentieth of a TESS CNN step.
// x: the row the windows start in, `first` its index in the plane.
template <int P>
int64_t maxpool_1d_vector(const float* x, int64_t first, float* y, int32_t* arg, int64_t hi) {
  static const auto masks = [] {
    struct {
      i32x16 low[P], high[P], pick[P];
    } m;
    for (int j = 0; j < P; ++j)
      for (int i = 0; i < 16; ++i) {
        const int pos = P * i + j;  // input of window i, tap j, within the block
        m.low[j][i] = pos < 32 ? pos : 0;
        m.high[j][i] = pos >= 32 ? pos - 32 : 0;
        m.pick[j][i] = pos < 32 ? i : 16 + i;
      }
    return m;
  }();
  int64_t o = 0;
  for (; o + 16 <= hi; o += 16) {
    f32x16 in[4];
    for (int v = 0; v < P; ++v) std::memcpy(&in[v], x + o * P + 16 * v, sizeof in[v]);
    for (int v = P; v < 4; ++v) in[v] = in[P - 1];
    f32x16 best_value{};
    i32x16 best_index{};
    const i32x16 base = i32x16{} + static_cast<int32_t>(first + o * P);
    for (int j = 0; j < P; ++j) {
      const f32x16 low = permute2(in[0], in[1], masks.low[j]);
      const f32x16 high = permute2(in[2], in[3], masks.high[j]);
      const f32x16 v = P <= 2 ? low : permute2(low, high, masks.pick[j]);
      i32x16 index;
      for (int i = 0; i < 16; ++i) index[i] = P * i + j;
      index += base;
      if (j == 0) {
        best_value = v;
        best_index = index;
        continue;
      }
      const i32x16 wins = v > best_value;  // strictly greater: ties keep the first, as PyTorch
      best_value = wins ? v : best_value;
      best_index = wins ? index : best_index;
    }
    std::memcpy(y + o, &best_value, sizeof best_value);
    std::memcpy(arg + o, &best_index, sizeof best_index);
  }
  return o;
}

// Windows of P, stride P, in input row hs: sixteen at a time, then one by one.
template <int P>
int64_t maxpool_1d(const float* xp, float* yr, int32_t* ar, int64_t in_w, int64_t hs, int64_t inside) {
  const int64_t done = kPermutesInOneInstruction ? maxpool_1d_vector<P>(xp + hs * in_w, hs * in_w, yr, ar, inside) : 0;
  return maxpool_interior<1, P>(xp, yr, ar, in_w, P, hs, done, inside);
}

// The interior outputs of row oh (from 0) by a fixed-size path where there
// is one; returns where the generic loop takes over.
int64_t maxpool_row_fast(const float* xp, float* yr, int32_t* ar, const Pool2dShape& s, int64_t oh) {
  const int64_t hs = oh * s.stride_h - s.pad_top;
  if (s.pad_left != 0 || hs < 0 || hs + s.pool_h > s.in_h) return 0;
  const int64_t inside = std::min(s.out_w, s.in_w >= s.pool_w ? (s.in_w - s.pool_w) / s.stride_w + 1 : 0);
  const int64_t sw = s.stride_w;
  if (s.pool_h == 1 && sw == s.pool_w) {  // 1-D, stride = pool
    switch (s.pool_w) {
      case 2: return maxpool_1d<2>(xp, yr, ar, s.in_w, hs, inside);
      case 3: return maxpool_1d<3>(xp, yr, ar, s.in_w, hs, inside);
      case 4: return maxpool_1d<4>(xp, yr, ar, s.in_w, hs, inside);
      case 5: return maxpool_interior<1, 5>(xp, yr, ar, s.in_w, 5, hs, 0, inside);
      default: return 0;
    }
  }
  if (s.pool_h == 2 && s.pool_w == 2) return maxpool_interior<2, 2>(xp, yr, ar, s.in_w, sw, hs, 0, inside);
  if (s.pool_h == 3 && s.pool_w == 3) return maxpool_interior<3, 3>(xp, yr, ar, s.in_w, sw, hs, 0, inside);
  return 0;
}

// Planes over the threads when there are enough outputs to pay for it. An
// `omp parallel if (...)` that comes out false still builds a one-thread
// team, whose cost per-sample pooling inside the convolution's tasks
// (conv2d_relu_maxpool_forward) paid 128 times a TESS CNN step
// (bench/README.md, "Figures behind the code").
template <typename Plane>
void for_planes(int64_t planes, int64_t outputs, int threads, const Plane& plane) {
  if (outputs <= 32768 || threads <= 1 || omp_in_parallel()) {
    for (int64_t p = 0; p < planes; ++p) plane(p);
    return;
  }
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t p = 0; p < planes; ++p) plane(p);
}
}  // namespace

void maxpool2d_forward(const float* x, float* y, int32_t* argmax, const Pool2dShape& s, int threads) {
  const int64_t in_plane = s.in_h * s.in_w, out_plane = s.out_h * s.out_w;
  auto plane = [&](int64_t p) {
    const float* xp = x + p * in_plane;
    float* yp = y + p * out_plane;
    int32_t* ap = argmax + p * out_plane;
    for (int64_t oh = 0; oh < s.out_h; ++oh) {
      const int64_t hs = oh * s.stride_h - s.pad_top;
      const int64_t h0 = std::max<int64_t>(hs, 0), h1 = std::min(hs + s.pool_h, s.in_h);
      const int64_t first = maxpool_row_fast(xp, yp + oh * s.out_w, ap + oh * s.out_w, s, oh);
      for (int64_t ow = first; ow < s.out_w; ++ow) {
        const int64_t ws = ow * s.stride_w - s.pad_left;
        const int64_t w0 = std::max<int64_t>(ws, 0), w1 = std::min(ws + s.pool_w, s.in_w);
        int64_t best = h0 * s.in_w + w0;
        float m = xp[best];
        for (int64_t h = h0; h < h1; ++h) {
          const float* row = xp + h * s.in_w;
          for (int64_t w = w0; w < w1; ++w) {
            // Selects, not a branch: on real data the winner's position is a coin toss.
            const bool wins = row[w] > m;  // strictly greater: ties keep the first, as PyTorch
            best = wins ? h * s.in_w + w : best;
            m = wins ? row[w] : m;
          }
        }
        yp[oh * s.out_w + ow] = m;
        ap[oh * s.out_w + ow] = static_cast<int32_t>(best);
      }
    }
  };
  for_planes(s.planes, s.planes * out_plane, threads, plane);
}

void maxpool2d_backward(const int32_t* argmax, const float* dy, float* dx, const Pool2dShape& s, bool overwrite,
                        int threads) {
  const int64_t in_plane = s.in_h * s.in_w, out_plane = s.out_h * s.out_w;
  const bool tiles = overwrite && pool_tiles_row(s);
  for_planes(s.planes, s.planes * out_plane, threads, [&](int64_t p) {
    float* dxp = dx + p * in_plane;
    if (tiles) {  // written window by window, no zeros first
      maxpool1d_tiles_backward(argmax + p * out_plane, dy + p * out_plane, nullptr, s.out_w, s.pool_w, dxp);
      std::fill(dxp + s.out_w * s.pool_w, dxp + in_plane, 0.0f);
      return;
    }
    if (overwrite) std::fill(dxp, dxp + in_plane, 0.0f);  // in cache for the scatter that follows
    const float* dyp = dy + p * out_plane;
    const int32_t* ap = argmax + p * out_plane;
    for (int64_t i = 0; i < out_plane; ++i) dxp[ap[i]] += dyp[i];
  });
}

namespace {

// Sixteen windows at a time: P output vectors, each lane taking its
// window's gradient and winner by a fixed permutation (vpermps with
// AVX-512) and keeping the gradient where the winner is that lane. The last
// windows, fewer than 16, run the same code on a copy padded with windows
// nobody wins. (A scalar loop over them, which GCC vectorises with scatters,
// cost more than all the full blocks on the TESS CNN's rows.)
template <int P>
void tiles_block(const int32_t* argmax, const float* dy, const float* pooled, int64_t o, float* dx) {
  static const auto lanes = [] {
    struct {
      i32x16 window[P], position[P];
    } l;
    for (int k = 0; k < P; ++k)
      for (int i = 0; i < 16; ++i) {
        l.window[k][i] = (16 * k + i) / P;
        l.position[k][i] = 16 * k + i;
      }
    return l;
  }();
  f32x16 g, keep_from;
  i32x16 win;
  std::memcpy(&g, dy + o, sizeof g);
  std::memcpy(&win, argmax + o, sizeof win);
  i32x16 bits = std::bit_cast<i32x16>(g);
  if (pooled) {
    std::memcpy(&keep_from, pooled + o, sizeof keep_from);
    bits &= keep_from > 0.0f;
  }
  const i32x16 v = std::bit_cast<i32x16>(std::bit_cast<f32x16>(bits) + 0.0f);
  const int32_t start = static_cast<int32_t>(o * P);
  for (int k = 0; k < P; ++k) {
    const i32x16 here = permute(v, lanes.window[k]);
    const i32x16 winner = permute(win, lanes.window[k]);
    const i32x16 out = here & (winner == lanes.position[k] + start);
    std::memcpy(dx + o * P + 16 * k, &out, sizeof out);
  }
}

template <int P>
void tiles_backward_vector(const int32_t* argmax, const float* dy, const float* pooled, int64_t windows, float* dx) {
  int64_t o = 0;
  for (; o + 16 <= windows; o += 16) tiles_block<P>(argmax, dy, pooled, o, dx);
  const int64_t rest = windows - o;
  if (rest == 0) return;
  // Window j of the copy stands for window o + j: its winner shifted by o * P.
  alignas(64) int32_t a[16];
  alignas(64) float d[16] = {}, v[16] = {}, out[16 * P];
  for (int64_t j = 0; j < 16; ++j) a[j] = j < rest ? argmax[o + j] - static_cast<int32_t>(o * P) : -1;
  std::copy(dy + o, dy + windows, d);
  if (pooled) std::copy(pooled + o, pooled + windows, v);
  tiles_block<P>(a, d, pooled ? v : nullptr, 0, out);
  std::copy(out, out + rest * P, dx + o * P);
}
}  // namespace

void maxpool1d_tiles_backward(const int32_t* argmax, const float* dy, const float* pooled, int64_t windows,
                              int64_t pool, float* dx) {
  switch (kPermutesInOneInstruction ? pool : 0) {
    case 2: return tiles_backward_vector<2>(argmax, dy, pooled, windows, dx);
    case 3: return tiles_backward_vector<3>(argmax, dy, pooled, windows, dx);
    case 4: return tiles_backward_vector<4>(argmax, dy, pooled, windows, dx);
    default: break;
  }
  for (int64_t o = 0; o < windows; ++o) {
    const float v = relu_masked_gradient(dy, pooled, o);
    for (int64_t j = 0; j < pool; ++j) dx[o * pool + j] = argmax[o] == o * pool + j ? v : 0.0f;
  }
}

}  // namespace ser::nn
