#pragma once
// The kernel shape of a pooling over planes of in_h x in_w (1-D: in_h = 1):
// the pool ops' and the convolution's fused max pool.

#include "nn/kernels/pool.hpp"
#include "nn/ops.hpp"

namespace ser::nn {

Pool2dShape pool_geometry(int64_t planes, int64_t in_h, int64_t in_w, const PoolOptions& o, bool two_d);

}  // namespace ser::nn
