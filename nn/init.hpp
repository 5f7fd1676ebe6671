#pragma once
// Weight initialisation from a seeded Rng: the same seed gives the same weights.
// Fans follow Keras: fan_in = in_channels x kernel size, fan_out = out_channels x kernel size.

#include <cstdint>
#include <string>

#include "common/rng.hpp"
#include "nn/tensor.hpp"

namespace ser::nn {

enum class Init { glorot_uniform, glorot_normal, he_uniform, he_normal, orthogonal, zeros, ones };

// Throws std::invalid_argument listing the known names.
Init parse_init(const std::string& name);

// orthogonal treats the tensor as [rows, numel/rows] and makes its columns
// (or rows, whichever are fewer) orthonormal, as Keras's Orthogonal.
void initialize(Tensor& t, Init kind, int64_t fan_in, int64_t fan_out, Rng& rng);

}  // namespace ser::nn
