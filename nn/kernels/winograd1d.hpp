#pragma once
// 1-D convolutions of kernel 5 with stride 1 by Winograd's minimal
// filtering F(4, 5) on eight points (0, 1, -1, 2, -2, 1/2, -1/2 and
// infinity): 8 products for 4 outputs instead of 20. The sums over input
// channels become 8 GEMMs, one per point, over the tiles of a few samples
// at a time.
//
// Why: the Kaggle recipe at its published width (configs/
// multi_zcr_rms_mfcc_cnn1d.yaml) spends about three quarters of a training
// step in its Conv1D 512 -> 512 kernel-5 layer, which the implicit path
// already ran at 83% of the machine's FMA peak: only fewer products could
// make it faster.
//
// Forward, the input's gradient (a forward of the output gradient through
// the turned filters, channels swapped) and the weights' gradient (the
// transposes of forward's steps: A on the output gradient, products with
// the transformed input summed over the tiles, G^T) all take this path.
// Rounding: the transforms are built in double from the points; the float
// result differs from the direct sums by up to a few 1e-6 of the largest
// value (the kernel tests allow 5e-6). Every element is summed in one fixed
// order over fixed chunks of samples, so no bit depends on the thread
// count, and a sample's forward result not on the batch it came in.
//
// conv2d_forward and conv2d_backward take this path by themselves for the
// shapes below (the fused relu + max pool kernels do not: the wide 1-D
// layers that train here have a batch norm between).
#include "nn/kernels/conv.hpp"

namespace ser::nn {

// Height 1, stride 1, no dilation, kernel 5, padding less than the kernel,
// from 64 channels in and out (bench/README.md has the measurements).
bool winograd1d_applies(const Conv2dShape& s);

void conv1d_winograd_forward(const float* x, const float* w, const float* b, float* y, const Conv2dShape& s, bool relu,
                             int threads);
// As conv2d_backward: null gradients are skipped, `overwrite` says which
// are written instead of added to, relu_y is the fused relu's output.
void conv1d_winograd_backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db,
                              const Conv2dShape& s, const float* relu_y, Overwrite overwrite, int threads);

// Benchmarks switch the path off to time the implicit one beside it in the
// same process (conv1d_layer/ items); everything else leaves it on.
void set_winograd1d_enabled(bool on);

}  // namespace ser::nn
