#pragma once
// The logistic function of one value without overflow for large |a|: the
// naive recurrent kernels' gates (the fast ones use vector_math's approximation).

#include <cmath>

namespace ser::nn {

template <typename T>
T stable_sigmoid(T a) {
  return a >= T(0) ? T(1) / (T(1) + std::exp(-a)) : std::exp(a) / (T(1) + std::exp(a));
}

}  // namespace ser::nn
