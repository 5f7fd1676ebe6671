#pragma once
// Max and average pooling over the last two axes of [planes, H, W] (planes =
// batch x channels). 1-D pooling is the same with H = 1. Pool size and
// stride are separate (Keras defaults the stride to the pool size; one
// published model uses pool 2 with stride 3). Padded positions never win a
// max and are not counted in an average (Keras `same`).

#include <bit>
#include <cstdint>

namespace ser::nn {

struct Pool2dShape {
  int64_t planes = 1, in_h = 1, in_w = 1;
  int64_t pool_h = 1, pool_w = 1, stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_left = 0;
  int64_t out_h = 1, out_w = 1;
};

// argmax[i] receives the flat index within its input plane of the winner of
// output i; ties go to the first position in row-major order (as PyTorch).
template <typename T>
void maxpool2d_forward_naive(const T* x, T* y, int32_t* argmax, const Pool2dShape& s);
template <typename T>
void maxpool2d_backward_naive(const int32_t* argmax, const T* dy, T* dx, const Pool2dShape& s);

template <typename T>
void avgpool2d_forward_naive(const T* x, T* y, const Pool2dShape& s);
template <typename T>
void avgpool2d_backward_naive(const T* dy, T* dx, const Pool2dShape& s);

// The same for float, what the ops use: planes spread over up to `threads`
// threads (each plane is one thread's), interior windows without clipping
// tests. Tested against the naive twins.
void maxpool2d_forward(const float* x, float* y, int32_t* argmax, const Pool2dShape& s, int threads);
// overwrite: dx is written (zeros but at the winners) instead of added to.
void maxpool2d_backward(const int32_t* argmax, const float* dy, float* dx, const Pool2dShape& s, bool overwrite,
                        int threads);

// dy[o] as it reaches the winner of window o when a relu comes before the
// pool: 0 where the pooled value is not positive (pooled null: no relu),
// and 0 + g, as a scatter into zeros, so -0 becomes +0. Bits, not a branch or
// a select the compiler may turn into one: the sign is a coin toss, and the
// mispredictions made this a tenth of a TESS CNN training step.
inline float relu_masked_gradient(const float* dy, const float* pooled, int64_t o) {
  const uint32_t keep = !pooled || pooled[o] > 0.0f ? ~0u : 0u;
  return 0.0f + std::bit_cast<float>(std::bit_cast<uint32_t>(dy[o]) & keep);
}

// 1-D pooling whose windows tile the row (stride = pool, no padding), which
// maxpool1d_tiles_backward can write rather than scatter.
inline bool pool_tiles_row(const Pool2dShape& s) {
  return s.in_h == 1 && s.pool_h == 1 && s.stride_w == s.pool_w && s.pad_left == 0 && s.out_w * s.pool_w <= s.in_w;
}

// The input gradient of one row of 1-D max pooling whose windows tile it
// (stride = pool, no padding), written rather than scattered: dx[t] for t in
// [0, windows * pool) is dy[o] where t is window o's winner, else 0. With
// `pooled` (the pool's outputs), a window whose output is not positive
// passes 0: the mask of a relu before the pool, fused.
void maxpool1d_tiles_backward(const int32_t* argmax, const float* dy, const float* pooled, int64_t windows,
                              int64_t pool, float* dx);

}  // namespace ser::nn
