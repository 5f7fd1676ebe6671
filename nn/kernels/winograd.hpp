#pragma once
// 3x3 convolutions with stride 1 by Winograd's minimal filtering F(2x2, 3x3)
// (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks",
// 2015): each 2x2 block of outputs comes from a 4x4 block of input through
// 16 products instead of 36, so the multiply-adds of such a layer drop to
// 4/9 of the direct form's. The sums over input channels become 16
// independent GEMMs, one per position of the 4x4 transform. 5x5 layers
// take F(2x2, 5x5) (6x6 blocks, 36 products instead of 100) the ways the
// 3x3 layers' forward-only path below does.
//
// Forward works block by block of tiles (a few dozen, over the samples of
// the batch) against filters transformed and packed once (and kept while
// the weights stay the same), so a block's transformed tiles never leave
// L2. Backward transforms the whole batch's tiles first, then runs the
// exact transposes of forward's steps (dx through the input transform's
// transpose, dw through the filter transform's), so where both passes take
// this path the gradient is that of what forward computed. Where only
// forward does (layers narrower than backward's rule), the input's gradient
// is a blocked forward of the output gradient through the turned filters,
// and the weights' gradient, from 64 channels in, Winograd's products of
// transformed input and output-gradient tiles block by block (below that,
// the implicit path's): the convolution's exact gradient, computed in other
// roundings than the Winograd forward's.
//
// The bits differ from the im2col paths' (other sums, rounded elsewhere)
// by a few units in the last place of float; every element is computed by
// one thread in one fixed order, so they do not depend on the thread
// count, and a sample's forward result does not depend on the batch it
// came in.
//
// conv2d_forward, conv2d_backward and the fused relu + max pool kernels
// take this path by themselves (conv.cpp); the tests reach it through them.
#include "nn/kernels/conv.hpp"

namespace ser::nn {

// Both: stride 1, no dilation, 2-D. Forward for 3x3 kernels from 32
// channels in and out, 5x5 from 64 in and 32 out; backward (3x3 only)
// where the channels are wide enough that the products outweigh the
// transformed tiles' memory traffic (winograd.cpp).
bool winograd_forward_applies(const Conv2dShape& s);
bool winograd_backward_applies(const Conv2dShape& s);
// The weight gradient by blocks (conv2d_winograd_weight_grad below), for
// forward's layers from 64 channels in.
bool winograd_weight_grad_applies(const Conv2dShape& s);

void conv2d_winograd_forward(const float* x, const float* w, const float* b, float* y, const Conv2dShape& s, bool relu,
                             int threads);
void conv2d_winograd_backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db,
                              const Conv2dShape& s, const float* relu_y, Overwrite overwrite, int threads);

// dx (overwritten, or added to) of a layer whose forward takes this path
// but whose backward does not: the gradient of the convolution as the
// blocked forward computes it, a correlation of the output gradient (relu's
// mask applied when relu_y is given) with the filters turned by 180 degrees
// and their channels swapped. The weight and bias gradients stay with the
// implicit path.
void conv2d_winograd_input_grad(const float* w, const float* dy, const float* relu_y, float* dx, const Conv2dShape& s,
                                bool overwrite, int threads);

// dw and db (overwritten, or added to) of a layer whose forward takes this
// path but whose whole-batch backward does not: Winograd's products over
// blocks of tiles, the batch summed in fixed chunks (winograd.cpp). relu_y:
// the fused relu's output, whose mask applies to dy.
void conv2d_winograd_weight_grad(const float* x, const float* dy, const float* relu_y, float* dw, float* db,
                                 const Conv2dShape& s, bool overwrite, int threads);

// relu(conv) then max pooling, for conv2d_relu_maxpool_*, with the bits of
// the unfused layers (p is one sample's pool, as there). Forward pools 2x2
// windows of stride 2 (the FER CNNs') as each tile is transformed, a tile
// being a window; other pools run over the whole convolution's output.
// Backward spreads the pooled gradient to the winners, then takes
// conv2d_backward's way (all on this path, or the input's gradient alone).
void conv2d_winograd_relu_maxpool_forward(const float* x, const float* w, const float* b, float* pooled,
                                          int32_t* argmax, const Conv2dShape& s, const Pool2dShape& p, int threads);
void conv2d_winograd_relu_maxpool_backward(const float* x, const float* w, const float* pooled, const int32_t* argmax,
                                           const float* dpooled, float* dx, float* dw, float* db, const Conv2dShape& s,
                                           const Pool2dShape& p, Overwrite overwrite, int threads);

}  // namespace ser::nn
