#pragma once
// A feature matrix shaped like librosa's output: [features, frames], row-major, double.

#include <complex>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ser::dsp {

struct Matrix {
  int64_t rows = 0, cols = 0;
  std::vector<double> data;

  Matrix() = default;
  Matrix(int64_t r, int64_t c) : rows(r), cols(c), data(static_cast<size_t>(r * c), 0.0) {}
  double& operator()(int64_t r, int64_t c) { return data[static_cast<size_t>(r * cols + c)]; }
  double operator()(int64_t r, int64_t c) const { return data[static_cast<size_t>(r * cols + c)]; }
  double* row(int64_t r) { return data.data() + r * cols; }
  const double* row(int64_t r) const { return data.data() + r * cols; }
};

// A complex STFT, [bins, frames].
struct ComplexMatrix {
  int64_t rows = 0, cols = 0;
  std::vector<std::complex<double>> data;

  ComplexMatrix() = default;
  ComplexMatrix(int64_t r, int64_t c) : rows(r), cols(c), data(static_cast<size_t>(r * c)) {}
  std::complex<double>& operator()(int64_t r, int64_t c) { return data[static_cast<size_t>(r * cols + c)]; }
  const std::complex<double>& operator()(int64_t r, int64_t c) const { return data[static_cast<size_t>(r * cols + c)]; }
};

}  // namespace ser::dsp
