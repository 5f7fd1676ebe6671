#include "dsp/functionals.hpp"

#include <algorithm>
#include <cmath>

namespace ser::dsp {

namespace {

// numpy.percentile's default (linear) of sorted values.
double percentile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

// Least-squares slope of the values against their index.
double slope(std::span<const double> v) {
  const auto n = static_cast<double>(v.size());
  if (v.size() < 2) return 0;
  const double t_mean = (n - 1) / 2;
  double v_mean = 0;
  for (const double x : v) v_mean += x;
  v_mean /= n;
  double num = 0, den = 0;
  for (size_t t = 0; t < v.size(); ++t) {
    const double dt = static_cast<double>(t) - t_mean;
    num += dt * (v[t] - v_mean);
    den += dt * dt;
  }
  return num / den;
}

std::vector<double> row_of(const Matrix& m, int64_t r) {
  return {m.data.begin() + r * m.cols, m.data.begin() + (r + 1) * m.cols};
}

// Voiced stretches per 100 frames, mean voiced and unvoiced stretch length (frames).
std::vector<float> voicing_statistics(const std::vector<double>& voiced) {
  std::vector<int> voiced_runs, unvoiced_runs;
  for (size_t t = 0; t < voiced.size();) {
    size_t end = t;
    while (end < voiced.size() && (voiced[end] > 0.5) == (voiced[t] > 0.5)) ++end;
    (voiced[t] > 0.5 ? voiced_runs : unvoiced_runs).push_back(static_cast<int>(end - t));
    t = end;
  }
  const auto mean = [](const std::vector<int>& v) {
    double s = 0;
    for (const int x : v) s += x;
    return v.empty() ? 0.0 : s / static_cast<double>(v.size());
  };
  const double per_100 = voiced.empty() ? 0.0 : 100.0 * static_cast<double>(voiced_runs.size()) / static_cast<double>(voiced.size());
  return {static_cast<float>(per_100), static_cast<float>(mean(voiced_runs)), static_cast<float>(mean(unvoiced_runs))};
}

}  // namespace

std::vector<float> row_functionals(std::span<const double> values) {
  if (values.empty()) return std::vector<float>(kFunctionalsPerRow, 0.0f);
  const auto n = static_cast<double>(values.size());
  double mean = 0, sq = 0;
  for (const double v : values) mean += v;
  mean /= n;
  for (const double v : values) sq += (v - mean) * (v - mean);
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  const double p20 = percentile(sorted, 0.2), p50 = percentile(sorted, 0.5), p80 = percentile(sorted, 0.8);
  const double out[kFunctionalsPerRow] = {mean, std::sqrt(sq / n), p20, p50, p80, p80 - p20, slope(values)};
  return {std::begin(out), std::end(out)};
}

std::vector<float> functionals(const FeatureSpec& spec, const Matrix& m) {
  if (kind_info(spec.kind).columns == FrameColumns::whole_clip) {
    std::vector<float> out;
    for (int64_t r = 0; r < m.rows; ++r) out.push_back(static_cast<float>(m(r, 0)));
    return out;
  }
  std::vector<float> out;
  for (int64_t r = 0; r < m.rows; ++r) {
    std::vector<double> v = row_of(m, r);
    if (spec.kind == FeatureKind::pyin && r == 0) std::erase(v, 0.0);  // f0 of voiced frames only
    const std::vector<float> f = row_functionals(v);
    out.insert(out.end(), f.begin(), f.end());
  }
  if (spec.kind == FeatureKind::pyin) {
    const std::vector<float> s = voicing_statistics(row_of(m, 1));
    out.insert(out.end(), s.begin(), s.end());
  }
  return out;
}

int64_t functionals_size(const FeatureSpec& spec) {
  if (kind_info(spec.kind).columns == FrameColumns::whole_clip) return spec.rows();
  return spec.rows() * kFunctionalsPerRow + (spec.kind == FeatureKind::pyin ? kVoicingStatistics : 0);
}

}  // namespace ser::dsp
