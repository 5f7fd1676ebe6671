#include "nn/kernels/conv.hpp"

#include "nn/kernels/geometry.hpp"

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
void conv2d_forward(const T* x, const T* w, const T* b, T* y, const Conv2dShape& s) {
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
void conv2d_backward(const T* x, const T* w, const T* dy, T* dx, T* dw, T* db, const Conv2dShape& s) {
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
void conv1d_forward(const T* x, const T* w, const T* b, T* y, const Conv1dShape& s) {
  conv2d_forward(x, w, b, y, s.as_2d());
}
template <typename T>
void conv1d_backward(const T* x, const T* w, const T* dy, T* dx, T* dw, T* db, const Conv1dShape& s) {
  conv2d_backward(x, w, dy, dx, dw, db, s.as_2d());
}

#define SER_INSTANTIATE(T)                                                                        \
  template void conv2d_forward<T>(const T*, const T*, const T*, T*, const Conv2dShape&);          \
  template void conv2d_backward<T>(const T*, const T*, const T*, T*, T*, T*, const Conv2dShape&); \
  template void conv1d_forward<T>(const T*, const T*, const T*, T*, const Conv1dShape&);          \
  template void conv1d_backward<T>(const T*, const T*, const T*, T*, T*, T*, const Conv1dShape&);
SER_INSTANTIATE(float)
SER_INSTANTIATE(double)
#undef SER_INSTANTIATE

}  // namespace ser::nn
