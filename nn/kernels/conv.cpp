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
thread_local std::vector<float> t_col, t_dcol, t_dz, t_partials, t_xpad, t_wflip, t_y;
thread_local std::vector<const float*> t_rows, t_dz_rows;

bool is_pointwise(const Conv2dShape& s) {
  return s.kernel_h == 1 && s.kernel_w == 1 && s.stride_h == 1 && s.stride_w == 1 && s.pad_top == 0 &&
         s.pad_left == 0 && s.out_h == s.in_h && s.out_w == s.in_w;
}

// A 1-D convolution with few inputs per output (the TESS CNN's first layer:
// one feature row, kernel 13). As im2col + GEMM it copies the input once per
// tap and runs GEMMs with a depth of 13, where loading and storing the
// output tile costs as much as the arithmetic; direct loops over the output,
// several vectors wide, measured 3x faster on it (bench layer/tess_cnn1d/00).
bool is_direct(const Conv2dShape& s) {
  return s.in_h == 1 && s.kernel_h == 1 && s.out_h == 1 && s.stride_w == 1 && s.dilation_w == 1 && s.pad_left == 0 &&
         s.pad_top == 0 && s.out_w == s.in_w - s.kernel_w + 1 && s.in_channels * s.kernel_w <= 16;
}

// Outputs [t0, t0 + 16 V) of one filter: the bias, then every tap in
// (channel, tap) order. V vectors (f32x16) are V independent FMA chains.
// The single-output tail sums in the same order.

template <int V>
void direct_block(const float* x, const float* wf, float bias, float* yf, int64_t t0, const Conv2dShape& s, bool relu) {
  f32x16 acc[V];
  for (int v = 0; v < V; ++v) acc[v] = f32x16{} + bias;
  for (int64_t c = 0; c < s.in_channels; ++c)
    for (int64_t k = 0; k < s.kernel_w; ++k) {
      const float wv = wf[c * s.kernel_w + k];
      const float* xr = x + c * s.in_w + k + t0;
      for (int v = 0; v < V; ++v) {
        f32x16 xv;
        std::memcpy(&xv, xr + 16 * v, sizeof xv);
        acc[v] += wv * xv;
      }
    }
  for (int v = 0; v < V; ++v) {
    const f32x16 out = relu ? (acc[v] > 0.0f ? acc[v] : f32x16{}) : acc[v];
    std::memcpy(yf + t0 + 16 * v, &out, sizeof out);
  }
}

void direct_output(const float* x, const float* wf, float bias, float* yf, int64_t t, const Conv2dShape& s, bool relu) {
  float acc = bias;
  for (int64_t c = 0; c < s.in_channels; ++c)
    for (int64_t k = 0; k < s.kernel_w; ++k) acc += wf[c * s.kernel_w + k] * x[c * s.in_w + k + t];
  yf[t] = relu ? (acc > 0.0f ? acc : 0.0f) : acc;
}

void direct_forward(const float* x, const float* w, const float* b, float* y, const Conv2dShape& s, bool relu) {
  const int64_t L = s.out_w;
  for (int64_t f = 0; f < s.out_channels; ++f) {
    const float* wf = w + f * s.in_channels * s.kernel_w;
    const float bias = b ? b[f] : 0.0f;
    float* yf = y + f * L;
    int64_t t = 0;
    for (; t + 64 <= L; t += 64) direct_block<4>(x, wf, bias, yf, t, s, relu);
    for (; t + 16 <= L; t += 16) direct_block<1>(x, wf, bias, yf, t, s, relu);
    for (; t < L; ++t) direct_output(x, wf, bias, yf, t, s, relu);
  }
}

// dz: the output gradient of one sample (after the fused relu's mask).
void direct_backward(const float* x, const float* w, const float* dz, float* dx, float* dw, const Conv2dShape& s) {
  const int64_t L = s.out_w, ck = s.in_channels * s.kernel_w;
  for (int64_t f = 0; f < s.out_channels; ++f) {
    const float* dzf = dz + f * L;
    for (int64_t c = 0; c < s.in_channels; ++c)
      for (int64_t k = 0; k < s.kernel_w; ++k) {
        if (dw) dw[f * ck + c * s.kernel_w + k] += dot_fixed_order(dzf, x + c * s.in_w + k, L);
        if (dx) {
          const float wv = w[f * ck + c * s.kernel_w + k];
          float* dxr = dx + c * s.in_w + k;
          for (int64_t t = 0; t < L; ++t) dxr[t] += wv * dzf[t];
        }
      }
  }
}
// A 1-D convolution with stride 1 (the TESS CNN's layers after the first):
// row (c, j) of its im2col matrix is input row c from tap j on, so the GEMMs
// read the input through row pointers (sgemm_rows) instead of a copy. Per
// sample on the TESS CNN's conv 2/3/4 forward this took 21.8/18.4/19.0 us
// down to 12.0/12.1/13.8 us (one thread, the copy and its packing gone).
// Backward, dx is the full correlation of the output gradient (padded with
// zeros) with the flipped kernel: the same kind of product, with no col2im.
bool is_implicit_1d(const Conv2dShape& s) {
  return s.in_h == 1 && s.kernel_h == 1 && s.out_h == 1 && s.stride_w == 1 && s.pad_top == 0 &&
         s.pad_left <= (s.kernel_w - 1) * s.dilation_w;
}

// Row pointers of one sample's im2col matrix [C*K, out_w], through a
// zero-padded copy of the input when windows reach past its ends.
const float* const* im2col_rows(const float* x, const Conv2dShape& s) {
  const int64_t span = s.out_w + (s.kernel_w - 1) * s.dilation_w;  // input positions the windows cover
  const float* base = x;
  int64_t ld = s.in_w;
  if (s.pad_left > 0 || span > s.in_w) {
    float* p = grow_scratch(t_xpad, s.in_channels * span);
    for (int64_t c = 0; c < s.in_channels; ++c)
      for (int64_t u = 0; u < span; ++u) {
        const int64_t i = u - s.pad_left;
        p[c * span + u] = i >= 0 && i < s.in_w ? x[c * s.in_w + i] : 0.0f;
      }
    base = p;
    ld = span;
  }
  t_rows.resize(static_cast<size_t>(s.in_channels * s.kernel_w));
  for (int64_t c = 0; c < s.in_channels; ++c)
    for (int64_t j = 0; j < s.kernel_w; ++j) t_rows[static_cast<size_t>(c * s.kernel_w + j)] = base + c * ld + j * s.dilation_w;
  return t_rows.data();
}

// Where one sample's output gradient dz goes for the GEMMs: rows [out_channels,
// ld], dz in columns [lead, lead + out_h*out_w), zeros around it. The implicit
// path wants zeros before and after each row (dx is then the full correlation
// of the padded rows); the others want dz alone (ld = out_h*out_w, lead 0).
struct GradLayout {
  int64_t ld, lead;
};
GradLayout grad_layout(const Conv2dShape& s, bool implicit) {
  const int64_t ohw = s.out_h * s.out_w;
  if (!implicit) return {ohw, 0};
  const int64_t reach = (s.kernel_w - 1) * s.dilation_w, lead = reach - s.pad_left;
  return {std::max(s.in_w + reach, lead + s.out_w), lead};
}

// The padding of a layout: zeros in every row outside [lead, lead + n).
void zero_around(float* g, int64_t rows, const GradLayout& l, int64_t n) {
  for (int64_t r = 0; r < rows; ++r) {
    std::fill(g + r * l.ld, g + r * l.ld + l.lead, 0.0f);
    std::fill(g + r * l.ld + l.lead + n, g + (r + 1) * l.ld, 0.0f);
  }
}

struct PaddedGrad {
  const float* data;
  int64_t ld, lead;
};

// dx[c][i] += sum over (oc, j) of w[oc][c][K-1-j] * dzpad[oc][i + j*dilation]:
// the weights rearranged once per call as [C, out_channels*K].
void flip_weights(const float* w, const Conv2dShape& s, float* wf) {
  const int64_t K = s.kernel_w, ok = s.out_channels * K;
  for (int64_t oc = 0; oc < s.out_channels; ++oc)
    for (int64_t c = 0; c < s.in_channels; ++c)
      for (int64_t j = 0; j < K; ++j) wf[c * ok + oc * K + j] = w[(oc * s.in_channels + c) * K + (K - 1 - j)];
}

void implicit_backward(const float* x, const float* wflip, const PaddedGrad& g, float* dx, float* dw,
                       const Conv2dShape& s, bool dx_overwrite) {
  const int64_t ck = s.in_channels * s.kernel_w, ok = s.out_channels * s.kernel_w;
  if (dw) sgemm_rows(true, s.out_channels, ck, s.out_w, 1.0f, g.data + g.lead, g.ld, im2col_rows(x, s), 1.0f, dw, ck);
  if (dx) {
    t_dz_rows.resize(static_cast<size_t>(ok));
    for (int64_t oc = 0; oc < s.out_channels; ++oc)
      for (int64_t j = 0; j < s.kernel_w; ++j)
        t_dz_rows[static_cast<size_t>(oc * s.kernel_w + j)] = g.data + oc * g.ld + j * s.dilation_w;
    sgemm_rows(false, s.in_channels, s.in_w, ok, 1.0f, wflip, ok, t_dz_rows.data(), dx_overwrite ? 0.0f : 1.0f, dx,
               s.in_w);
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
// One sample: y = conv(x) + b, relu'd if asked, on this thread (gemm_threads
// as sgemm's: 0 lets a large 2-D product use the threads).
void forward_sample(const float* x, const float* w, const float* b, float* y, const Conv2dShape& s, bool relu,
                    int gemm_threads) {
  const int64_t ckk = s.in_channels * s.kernel_h * s.kernel_w, ohw = s.out_h * s.out_w, out_size = s.out_channels * ohw;
  if (is_direct(s)) {
    direct_forward(x, w, b, y, s, relu);
    return;
  }
  for (int64_t oc = 0; oc < s.out_channels; ++oc) std::fill(y + oc * ohw, y + (oc + 1) * ohw, b ? b[oc] : 0.0f);
  if (is_implicit_1d(s)) {
    sgemm_rows(false, s.out_channels, ohw, ckk, 1.0f, w, ckk, im2col_rows(x, s), 1.0f, y, ohw);
  } else {
    const float* col = x;
    if (!is_pointwise(s)) {
      float* buf = grow_scratch(t_col, ckk * ohw);
      im2col(x, buf, s);
      col = buf;
    }
    sgemm(false, false, s.out_channels, ohw, ckk, 1.0f, w, ckk, col, ohw, 1.0f, y, ohw, gemm_threads);
  }
  if (relu)
    for (int64_t i = 0; i < out_size; ++i) y[i] = y[i] > 0.0f ? y[i] : 0.0f;
}

// The batch of a forward pass: one task per sample (see for_tasks_balanced).
template <typename Sample>
void for_samples(int64_t batch, const Sample& sample) {
  const int threads = batch_threads(batch);
  if (threads <= 1) {
    for (int64_t n = 0; n < batch; ++n) sample(n, 0);
    return;
  }
  for_tasks_balanced(batch, threads, [&](int64_t n) { sample(n, 1); });
}
}  // namespace

void conv2d_forward(const float* x, const float* w, const float* b, float* y, const Conv2dShape& s, bool relu) {
  const int64_t in_size = s.in_channels * s.in_h * s.in_w, out_size = s.out_channels * s.out_h * s.out_w;
  for_samples(s.batch, [&](int64_t n, int gemm_threads) {
    forward_sample(x + n * in_size, w, b, y + n * out_size, s, relu, gemm_threads);
  });
}

void conv2d_relu_maxpool_forward(const float* x, const float* w, const float* b, float* pooled, int32_t* argmax,
                                 const Conv2dShape& s, const Pool2dShape& p) {
  const int64_t in_size = s.in_channels * s.in_h * s.in_w, out_size = s.out_channels * s.out_h * s.out_w;
  const int64_t pooled_size = p.planes * p.out_h * p.out_w;
  for_samples(s.batch, [&](int64_t n, int gemm_threads) {
    float* y = grow_scratch(t_y, out_size);
    forward_sample(x + n * in_size, w, b, y, s, true, gemm_threads);
    maxpool2d_forward(y, pooled + n * pooled_size, argmax + n * pooled_size, p);
  });
}

namespace {
// The backward pass with each sample's output gradient dz (after the fused
// relu's mask) from dz_of(n, scratch, layout): a pointer to it in that
// layout, written to scratch (sized for the layout) or, when it can be read
// where it is, not.
template <typename DzOf>
void backward_impl(const float* x, const float* w, const DzOf& dz_of, float* dx, float* dw, float* db,
                   const Conv2dShape& s, bool dx_overwrite) {
  const int64_t ckk = s.in_channels * s.kernel_h * s.kernel_w, ohw = s.out_h * s.out_w;
  const int64_t in_size = s.in_channels * s.in_h * s.in_w;
  const int64_t wsize = s.out_channels * ckk;
  const bool pointwise = is_pointwise(s), direct = is_direct(s), implicit = !direct && is_implicit_1d(s);
  const GradLayout layout = grad_layout(s, implicit);
  const int threads = batch_threads(s.batch);
  const float* wflip = nullptr;
  if (implicit && dx) {
    float* wf = grow_scratch(t_wflip, wsize);
    flip_weights(w, s, wf);
    wflip = wf;
  }
  // Weight and bias gradients are summed per chunk of samples, then over the
  // chunks in order, so the bits do not depend on which thread ran a chunk
  // (threads steal chunks to balance), nor on the thread count unless the
  // weights are large. A chunk is one sample unless that would make the
  // partial sums large (over 1 MB): big weights get fewer, longer chunks.
  const int64_t psize = wsize + s.out_channels;
  const int64_t chunks = std::min<int64_t>(s.batch, std::max<int64_t>(threads, (int64_t{1} << 18) / psize));
  float* partials = grow_scratch(t_partials, chunks * psize);
  auto run = [&](float* dwp, int64_t n0, int64_t n1, int gemm_threads) {
    float* dbp = dwp + wsize;
    std::fill(dwp, dwp + psize, 0.0f);
    for (int64_t n = n0; n < n1; ++n) {
      const float* dz = dz_of(n, grow_scratch(t_dz, s.out_channels * layout.ld), layout);
      if (db)
        for (int64_t oc = 0; oc < s.out_channels; ++oc) dbp[oc] += sum_fixed_order(dz + oc * layout.ld + layout.lead, ohw);
      float* dxn = dx ? dx + n * in_size : nullptr;
      if (implicit) {
        implicit_backward(x + n * in_size, wflip, PaddedGrad{dz, layout.ld, layout.lead}, dxn, dw ? dwp : nullptr, s,
                          dx_overwrite);
        continue;
      }
      if (dxn && dx_overwrite) std::fill(dxn, dxn + in_size, 0.0f);  // the paths below add
      if (direct) {
        direct_backward(x + n * in_size, w, dz, dxn, dw ? dwp : nullptr, s);
        continue;
      }
      if (dw) {
        const float* col = x + n * in_size;
        if (!pointwise) {
          float* buf = grow_scratch(t_col, ckk * ohw);
          im2col(x + n * in_size, buf, s);
          col = buf;
        }
        sgemm(false, true, s.out_channels, ckk, ohw, 1.0f, dz, ohw, col, ohw, 1.0f, dwp, ckk, gemm_threads);
      }
      if (dxn) {
        if (pointwise) {
          sgemm(true, false, ckk, ohw, s.out_channels, 1.0f, w, ckk, dz, ohw, 1.0f, dxn, ohw, gemm_threads);
        } else {
          float* dcol = grow_scratch(t_dcol, ckk * ohw);
          sgemm(true, false, ckk, ohw, s.out_channels, 1.0f, w, ckk, dz, ohw, 0.0f, dcol, ohw, gemm_threads);
          col2im_add(dcol, dxn, s);
        }
      }
    }
  };
  for_tasks_balanced(chunks, threads, [&](int64_t c) {
    run(partials + c * psize, s.batch * c / chunks, s.batch * (c + 1) / chunks, threads <= 1 ? 0 : 1);
  });
  // Each element adds the chunks' sums in chunk order (large ones split over the threads).
  auto add_partials = [&](float* dst, int64_t offset, int64_t count) {
    if (!dst) return;
    for_element_ranges(count, 1 << 14, [&](int64_t lo, int64_t hi) {
      for (int64_t c = 0; c < chunks; ++c) {
        const float* p = partials + c * psize + offset;
        for (int64_t i = lo; i < hi; ++i) dst[i] += p[i];
      }
    });
  };
  add_partials(dw, 0, wsize);
  add_partials(db, wsize, s.out_channels);
}
}  // namespace

void conv2d_backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db,
                     const Conv2dShape& s, const float* relu_y, bool dx_overwrite) {
  const int64_t ohw = s.out_h * s.out_w, out_size = s.out_channels * ohw;
  auto dz_of = [&](int64_t n, float* g, const GradLayout& l) -> const float* {
    const float* d = dy + n * out_size;
    if (!relu_y && l.lead == 0 && l.ld == ohw) return d;  // used where it is
    const float* yn = relu_y ? relu_y + n * out_size : nullptr;
    for (int64_t oc = 0; oc < s.out_channels; ++oc) {
      float* row = g + oc * l.ld + l.lead;
      const float* dr = d + oc * ohw;
      if (yn)
        for (int64_t i = 0; i < ohw; ++i) row[i] = yn[oc * ohw + i] > 0.0f ? dr[i] : 0.0f;
      else
        std::copy(dr, dr + ohw, row);
    }
    zero_around(g, s.out_channels, l, ohw);
    return g;
  };
  backward_impl(x, w, dz_of, dx, dw, db, s, dx_overwrite);
}

void conv2d_relu_maxpool_backward(const float* x, const float* w, const float* pooled, const int32_t* argmax,
                                  const float* dpooled, float* dx, float* dw, float* db, const Conv2dShape& s,
                                  const Pool2dShape& p, bool dx_overwrite) {
  const int64_t pooled_plane = p.out_h * p.out_w, pooled_size = p.planes * pooled_plane;
  // dz is zero but at each window's winner, which gets the window's gradient
  // if its relu output (the pooled value) is positive: what max-pool
  // backward followed by relu's mask give, in the same order.
  auto dz_of = [&](int64_t n, float* g, const GradLayout& l) -> const float* {
    for (int64_t oc = 0; oc < s.out_channels; ++oc) std::fill(g + oc * l.ld, g + (oc + 1) * l.ld, 0.0f);
    const float* pv = pooled + n * pooled_size;
    const float* dp = dpooled + n * pooled_size;
    const int32_t* am = argmax + n * pooled_size;
    for (int64_t oc = 0; oc < s.out_channels; ++oc) {
      float* row = g + oc * l.ld + l.lead;
      for (int64_t o = oc * pooled_plane; o < (oc + 1) * pooled_plane; ++o)
        if (pv[o] > 0.0f) row[am[o]] += dp[o];
    }
    return g;
  };
  backward_impl(x, w, dz_of, dx, dw, db, s, dx_overwrite);
}

void conv1d_forward(const float* x, const float* w, const float* b, float* y, const Conv1dShape& s, bool relu) {
  conv2d_forward(x, w, b, y, s.as_2d(), relu);
}
void conv1d_backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db,
                     const Conv1dShape& s, const float* relu_y, bool dx_overwrite) {
  conv2d_backward(x, w, dy, dx, dw, db, s.as_2d(), relu_y, dx_overwrite);
}

}  // namespace ser::nn
