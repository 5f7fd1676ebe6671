#pragma once
// Convolution (cross-correlation, as every framework computes it), NCHW input,
// weight [out_channels, in_channels, kernel_h, kernel_w] as PyTorch's Conv2d.
// Conv1D is the same computation with height 1: input [N, C, L], weight
// [out, in, k]. Backward kernels accumulate (+=); null pointers are skipped.

#include <cstdint>

#include "nn/kernels/overwrite.hpp"
#include "nn/kernels/pool.hpp"

namespace ser::nn {

struct Conv2dShape {
  int64_t batch = 1, in_channels = 1, in_h = 1, in_w = 1;
  int64_t out_channels = 1, kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0;  // padding after the input is implied by out_h/out_w
  int64_t out_h = 1, out_w = 1;
};

struct Conv1dShape {
  int64_t batch = 1, in_channels = 1, in_len = 1;
  int64_t out_channels = 1, kernel = 1, stride = 1, dilation = 1, pad_left = 0, out_len = 1;
  Conv2dShape as_2d() const;
};

template <typename T>
void conv2d_forward_naive(const T* x, const T* w, const T* b, T* y, const Conv2dShape& s);
template <typename T>
void conv2d_backward_naive(const T* x, const T* w, const T* dy, T* dx, T* dw, T* db, const Conv2dShape& s);

template <typename T>
void conv1d_forward_naive(const T* x, const T* w, const T* b, T* y, const Conv1dShape& s);
template <typename T>
void conv1d_backward_naive(const T* x, const T* w, const T* dy, T* dx, T* dw, T* db, const Conv1dShape& s);

// What the ops use; tested against the naive twins. Per sample, one of
// three paths (conv.cpp says why each): direct loops for at most 16 inputs
// per output in 1-D; for stride 1, GEMMs that read the input's rows in
// place (sgemm_rows, implicit im2col); otherwise im2col + sgemm.
// Wide 3x3 layers with stride 1 (from C K > 64 (C + K) channels) take
// Winograd's F(2x2, 3x3) over the whole batch instead, fused or not
// (nn/kernels/winograd.hpp), and 1-D layers of kernel 5 from 64 channels
// Winograd's F(4, 5), unfused (nn/kernels/winograd1d.hpp).
// Threads: a batch is spread over `threads` threads one sample per task
// (each with its own scratch, the GEMM single-threaded inside), each thread
// its own share first and then stealing what the others have not started.
// A batch smaller than the thread count shares each sample's work instead:
// bands of output rows and runs of output channels on the implicit path
// (from 8 MFLOP per sample), the GEMM's threads on the others. The weight
// gradient is summed per chunk of samples and then over the chunks in a
// fixed order, so the bits do not depend on who ran what, nor (below 1 MB
// of weights) on the thread count.
//
// relu fuses the activation of conv layers that have one: forward writes
// relu(conv(x)) while each band of a sample's output is still in cache, and
// backward, given that output as `relu_y`, masks dy with y > 0 per sample
// before the GEMMs. That saves two passes over the largest activations of a
// CNN and one gradient buffer; the result equals conv followed by relu
// exactly.
//
// overwrite: which gradients are written instead of added to (buffers the
// autograd has just created or a zero_grad made stale, not zeroed).
void conv2d_forward(const float* x, const float* w, const float* b, float* y, const Conv2dShape& s, bool relu,
                    int threads);
void conv2d_backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db,
                     const Conv2dShape& s, const float* relu_y, Overwrite overwrite, int threads);
void conv1d_forward(const float* x, const float* w, const float* b, float* y, const Conv1dShape& s, bool relu,
                    int threads);
void conv1d_backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db,
                     const Conv1dShape& s, const float* relu_y, Overwrite overwrite, int threads);

// relu(conv) followed by max pooling, each sample pooled while its conv
// output is in cache (the pool's region and a pass over the conv output in
// memory saved; the conv output itself is never stored). p is the pool over
// one sample: planes = out_channels, input out_h x out_w. Backward rebuilds
// each sample's conv-output gradient from the winners: what max-pool
// backward then relu's mask give, bit for bit.
void conv2d_relu_maxpool_forward(const float* x, const float* w, const float* b, float* pooled, int32_t* argmax,
                                 const Conv2dShape& s, const Pool2dShape& p, int threads);
void conv2d_relu_maxpool_backward(const float* x, const float* w, const float* pooled, const int32_t* argmax,
                                  const float* dpooled, float* dx, float* dw, float* db, const Conv2dShape& s,
                                  const Pool2dShape& p, Overwrite overwrite, int threads);

// One sample [C, H, W] as columns [C*KH*KW, OH*OW] (zeros where the window
// is outside the input), and the transpose: columns added back into [C, H, W].
void im2col(const float* x, float* col, const Conv2dShape& s);
void col2im_add(const float* col, float* x, const Conv2dShape& s);

}  // namespace ser::nn
