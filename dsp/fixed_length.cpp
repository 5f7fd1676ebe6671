#include "dsp/fixed_length.hpp"

#include <cmath>
#include <stdexcept>

namespace ser::dsp {

Matrix fix_frames(const Matrix& m, int64_t frames, double pad_value) {
  if (frames < 1) throw std::invalid_argument("fix_frames: the frame count must be >= 1");
  Matrix out(m.rows, frames);
  for (int64_t r = 0; r < m.rows; ++r)
    for (int64_t t = 0; t < frames; ++t) out(r, t) = t < m.cols ? m(r, t) : pad_value;
  return out;
}

std::vector<float> flatten_time_major(const Matrix& m) {
  std::vector<float> out(m.data.size());
  for (int64_t t = 0; t < m.cols; ++t)
    for (int64_t r = 0; r < m.rows; ++r) out[static_cast<size_t>(t * m.rows + r)] = static_cast<float>(m(r, t));
  return out;
}

std::vector<float> flatten_feature_major(const Matrix& m) { return {m.data.begin(), m.data.end()}; }

std::vector<float> mean_over_time(const Matrix& m) {
  if (m.cols < 1) throw std::invalid_argument("mean over time of a matrix without frames");
  std::vector<float> out(static_cast<size_t>(m.rows));
  for (int64_t r = 0; r < m.rows; ++r) {
    double acc = 0;
    for (int64_t t = 0; t < m.cols; ++t) acc += m(r, t);
    out[static_cast<size_t>(r)] = static_cast<float>(acc / static_cast<double>(m.cols));
  }
  return out;
}

std::vector<float> std_over_time(const Matrix& m) {
  const auto mean = mean_over_time(m);
  std::vector<float> out(static_cast<size_t>(m.rows));
  for (int64_t r = 0; r < m.rows; ++r) {
    double acc = 0;
    for (int64_t t = 0; t < m.cols; ++t) {
      const double d = m(r, t) - mean[static_cast<size_t>(r)];
      acc += d * d;
    }
    out[static_cast<size_t>(r)] = static_cast<float>(std::sqrt(acc / static_cast<double>(m.cols)));
  }
  return out;
}

std::vector<float> mean_std_pool(const Matrix& m) {
  std::vector<float> out = mean_over_time(m);
  const auto s = std_over_time(m);
  out.insert(out.end(), s.begin(), s.end());
  return out;
}

Matrix concat_features(std::span<const Matrix> parts) {
  if (parts.empty()) throw std::invalid_argument("concat_features: nothing to join");
  int64_t rows = 0;
  for (const Matrix& p : parts) {
    if (p.cols != parts[0].cols)
      throw std::invalid_argument("concat_features: feature sets have " + std::to_string(parts[0].cols) + " and " +
                                  std::to_string(p.cols) + " frames; fix them to one length first");
    rows += p.rows;
  }
  Matrix out(rows, parts[0].cols);
  int64_t at = 0;
  for (const Matrix& p : parts) {
    std::copy(p.data.begin(), p.data.end(), out.data.begin() + at * out.cols);
    at += p.rows;
  }
  return out;
}

std::vector<float> concat(std::span<const std::vector<float>> parts) {
  std::vector<float> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

void Standardizer::fit(std::span<const float> rows, int64_t features) {
  if (features < 1 || rows.empty() || rows.size() % static_cast<size_t>(features) != 0)
    throw std::invalid_argument("Standardizer::fit: data is not a whole number of rows of " + std::to_string(features) +
                                " features");
  const int64_t n = static_cast<int64_t>(rows.size()) / features;
  mean_.assign(static_cast<size_t>(features), 0.0);
  scale_.assign(static_cast<size_t>(features), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t f = 0; f < features; ++f) mean_[static_cast<size_t>(f)] += rows[static_cast<size_t>(i * features + f)];
  for (double& m : mean_) m /= static_cast<double>(n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t f = 0; f < features; ++f) {
      const double d = rows[static_cast<size_t>(i * features + f)] - mean_[static_cast<size_t>(f)];
      scale_[static_cast<size_t>(f)] += d * d;
    }
  for (double& s : scale_) {
    s = std::sqrt(s / static_cast<double>(n));
    if (s == 0.0) s = 1.0;  // sklearn: a constant feature is only centred
  }
}

void Standardizer::transform(std::span<float> rows) const {
  if (!fitted()) throw std::logic_error("Standardizer::transform before fit");
  const size_t F = mean_.size();
  if (rows.size() % F != 0)
    throw std::invalid_argument("Standardizer::transform: rows of " + std::to_string(rows.size() % F) +
                                " extra values; the scaler was fitted on " + std::to_string(F) + " features");
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<float>((rows[i] - mean_[i % F]) / scale_[i % F]);
}

void Standardizer::set(std::vector<double> mean, std::vector<double> scale) {
  if (mean.size() != scale.size() || mean.empty()) throw std::invalid_argument("Standardizer::set: sizes differ");
  mean_ = std::move(mean);
  scale_ = std::move(scale);
}

}  // namespace ser::dsp
