#include "dsp/spectral_shape.hpp"

#include <cmath>
#include <limits>

namespace ser::dsp {

std::vector<double> fft_frequencies(double sr, int n_fft) {
  // numpy.fft.rfftfreq(n_fft, 1 / sr): k * (1 / (n_fft * (1 / sr)))
  const double step = 1.0 / (n_fft * (1.0 / sr));
  std::vector<double> f(static_cast<size_t>(n_fft / 2 + 1));
  for (size_t k = 0; k < f.size(); ++k) f[k] = static_cast<double>(k) * step;
  return f;
}

namespace {
// The column's sum of magnitudes; librosa's util.normalize(norm=1) leaves a
// column whose sum is below the smallest normal double as it is.
double column_weight(const Matrix& S, int64_t t) {
  double sum = 0;
  for (int64_t b = 0; b < S.rows; ++b) sum += std::abs(S(b, t));
  return sum < std::numeric_limits<double>::min() ? 1.0 : sum;
}
}  // namespace

Matrix spectral_centroid(const Matrix& S, double sr, int n_fft) {
  const std::vector<double> f = fft_frequencies(sr, n_fft);
  Matrix out(1, S.cols);
  for (int64_t t = 0; t < S.cols; ++t) {
    const double w = column_weight(S, t);
    double c = 0;
    for (int64_t b = 0; b < S.rows; ++b) c += f[static_cast<size_t>(b)] * (S(b, t) / w);
    out(0, t) = c;
  }
  return out;
}

Matrix spectral_bandwidth(const Matrix& S, double sr, int n_fft, double p) {
  const std::vector<double> f = fft_frequencies(sr, n_fft);
  const Matrix centroid = spectral_centroid(S, sr, n_fft);
  Matrix out(1, S.cols);
  for (int64_t t = 0; t < S.cols; ++t) {
    const double w = column_weight(S, t);
    double sum = 0;
    for (int64_t b = 0; b < S.rows; ++b)
      sum += (S(b, t) / w) * std::pow(std::abs(f[static_cast<size_t>(b)] - centroid(0, t)), p);
    out(0, t) = std::pow(sum, 1.0 / p);
  }
  return out;
}

Matrix spectral_rolloff(const Matrix& S, double sr, int n_fft, double roll_percent) {
  const std::vector<double> f = fft_frequencies(sr, n_fft);
  Matrix out(1, S.cols);
  std::vector<double> cumulative(static_cast<size_t>(S.rows));
  for (int64_t t = 0; t < S.cols; ++t) {
    double run = 0;
    for (int64_t b = 0; b < S.rows; ++b) cumulative[static_cast<size_t>(b)] = run += S(b, t);
    const double threshold = roll_percent * run;
    int64_t b = 0;
    while (b + 1 < S.rows && cumulative[static_cast<size_t>(b)] < threshold) ++b;
    out(0, t) = f[static_cast<size_t>(b)];
  }
  return out;
}

Matrix spectral_flatness(const Matrix& S, double power, double amin) {
  Matrix out(1, S.cols);
  for (int64_t t = 0; t < S.cols; ++t) {
    double log_sum = 0, sum = 0;
    for (int64_t b = 0; b < S.rows; ++b) {
      const double v = std::max(amin, std::pow(S(b, t), power));
      log_sum += std::log(v);
      sum += v;
    }
    const auto n = static_cast<double>(S.rows);
    out(0, t) = std::exp(log_sum / n) / (sum / n);
  }
  return out;
}

}  // namespace ser::dsp
