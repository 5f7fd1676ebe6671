#pragma once
// 3x3 convolutions with stride 1 by Winograd's minimal filtering F(2x2, 3x3)
// (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks",
// 2015): each 2x2 block of outputs comes from a 4x4 block of input through
// 16 products instead of 36, so the multiply-adds of such a layer drop to
// 4/9 of the direct form's. The sums over input channels become 16
// independent GEMMs, one per position of the 4x4 transform, over every
// tile of the whole batch at once (a layer's few tiles per sample would
// leave the GEMM's panels half empty).
//
// Backward is the exact transpose of that forward: the output gradient goes
// back through the same transforms (dx through the input transform's
// transpose, dw through the filter transform's), so it is the gradient of
// what forward computed. The bits differ from the im2col paths' (other sums,
// rounded elsewhere) by a few units in the last place of float; every
// element is still computed by one thread in one fixed order, so they do
// not depend on the thread count, and a sample's forward result does not
// depend on the batch it came in.
//
// conv2d_forward, conv2d_backward and the fused relu + max pool kernels
// take this path by themselves when winograd_applies(s) (conv.cpp); the
// tests reach it through them.
#include "nn/kernels/conv.hpp"

namespace ser::nn {

// 3x3, stride 1, no dilation, 2-D, and wide enough in channels that the
// GEMMs outweigh the transformed tiles' memory traffic (winograd.cpp).
bool winograd_applies(const Conv2dShape& s);

void conv2d_winograd_forward(const float* x, const float* w, const float* b, float* y, const Conv2dShape& s, bool relu,
                             int threads);
void conv2d_winograd_backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db,
                              const Conv2dShape& s, const float* relu_y, Overwrite overwrite, int threads);

// relu(conv) then max pooling, for conv2d_relu_maxpool_*: the whole
// convolution first, then the pool, so the bits are those of the unfused
// layers (p is one sample's pool, as there).
void conv2d_winograd_relu_maxpool_forward(const float* x, const float* w, const float* b, float* pooled,
                                          int32_t* argmax, const Conv2dShape& s, const Pool2dShape& p, int threads);
void conv2d_winograd_relu_maxpool_backward(const float* x, const float* w, const float* pooled, const int32_t* argmax,
                                           const float* dpooled, float* dx, float* dw, float* db, const Conv2dShape& s,
                                           const Pool2dShape& p, Overwrite overwrite, int threads);

}  // namespace ser::nn
