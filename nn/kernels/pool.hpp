#pragma once
// Max and average pooling over the last two axes of [planes, H, W] (planes =
// batch x channels). 1-D pooling is the same with H = 1. Pool size and
// stride are separate (Keras defaults the stride to the pool size; one
// published model uses pool 2 with stride 3). Padded positions never win a
// max and are not counted in an average (Keras `same`).

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

// The same for float, what the ops use: planes spread over the OpenMP
// threads (each plane is one thread's), interior windows without clipping
// tests. Tested against the naive twins.
void maxpool2d_forward(const float* x, float* y, int32_t* argmax, const Pool2dShape& s);
// overwrite: dx is written (zeros but at the winners) instead of added to.
void maxpool2d_backward(const int32_t* argmax, const float* dy, float* dx, const Pool2dShape& s,
                        bool overwrite = false);

}  // namespace ser::nn
