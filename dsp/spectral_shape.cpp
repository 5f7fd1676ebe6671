#include "dsp/spectral_shape.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "dsp/db.hpp"

namespace ser::dsp {

void ShapeOptions::register_settings(Settings& s) {
  s.number("bandwidth_p", p, 0.1, 100, "order of spectral_bandwidth's deviation about the centroid");
  s.number("roll_percent", roll_percent, 0.01, 0.99, "fraction of each frame's magnitude below spectral_rolloff");
  s.number("flatness_power", flatness_power, 0.1, 10, "spectral_flatness of |STFT|^flatness_power");
}

void ContrastOptions::register_settings(Settings& s) {
  s.integer("contrast_bands", n_bands, 1, 12, "spectral_contrast's octave bands above [0, contrast_fmin]");
  s.number("contrast_fmin", fmin, 1, 48000, "upper edge of spectral_contrast's first band").unit("Hz");
  s.number("contrast_quantile", quantile, 0.001, 0.5, "fraction of a band's bins averaged as its peak (and valley)");
  s.flag("contrast_linear", linear, "spectral_contrast as peak - valley instead of a difference in dB");
}

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

namespace {

// The bins of octave band k, as librosa chooses them: those in [f_low,
// f_high], one more below (k > 0), all above for the last band; `used` are
// the bins sorted for the peak and valley (the top one dropped below the
// last band), `counted` the number the quantile is taken of.
struct ContrastBand {
  int64_t first = 0, used = 0, counted = 0;
};

std::vector<ContrastBand> contrast_bands(const std::vector<double>& f, double sr, const ContrastOptions& o) {
  std::vector<double> octa(static_cast<size_t>(o.n_bands) + 2, 0.0);
  for (int k = 0; k <= o.n_bands; ++k) octa[static_cast<size_t>(k) + 1] = o.fmin * std::pow(2.0, k);
  for (size_t k = 0; k + 1 < octa.size(); ++k)
    if (octa[k] >= 0.5 * sr)
      throw std::invalid_argument("spectral_contrast: band " + std::to_string(k) + " starts at " +
                                  format_number(octa[k]) + " Hz, at or above the Nyquist frequency (" +
                                  format_number(0.5 * sr) + " Hz); lower contrast_fmin or contrast_bands");
  const auto n = static_cast<int64_t>(f.size());
  std::vector<ContrastBand> bands;
  for (int k = 0; k <= o.n_bands; ++k) {
    const double lo = octa[static_cast<size_t>(k)], hi = octa[static_cast<size_t>(k) + 1];
    int64_t first = 0;
    while (first < n && f[static_cast<size_t>(first)] < lo) ++first;
    int64_t last = first - 1;  // the last bin <= hi
    while (last + 1 < n && f[static_cast<size_t>(last) + 1] <= hi) ++last;
    if (last < first) throw std::invalid_argument("spectral_contrast: band " + std::to_string(k) + " holds no bin; raise n_fft or contrast_fmin");
    if (k > 0) --first;
    if (k == o.n_bands) last = n - 1;
    const int64_t counted = last - first + 1;
    bands.push_back({first, k < o.n_bands ? counted - 1 : counted, counted});
  }
  return bands;
}

}  // namespace

Matrix spectral_contrast(const Matrix& S, double sr, int n_fft, const ContrastOptions& o) {
  const std::vector<ContrastBand> bands = contrast_bands(fft_frequencies(sr, n_fft), sr, o);
  Matrix peak(static_cast<int64_t>(bands.size()), S.cols), valley(peak.rows, S.cols);
  std::vector<double> sorted;
  for (size_t k = 0; k < bands.size(); ++k) {
    const ContrastBand& b = bands[k];
    // numpy.rint: halves to even, as nearbyint in the default rounding mode.
    const auto take = std::max<int64_t>(1, static_cast<int64_t>(std::nearbyint(o.quantile * static_cast<double>(b.counted))));
    for (int64_t t = 0; t < S.cols; ++t) {
      sorted.resize(static_cast<size_t>(b.used));
      for (int64_t i = 0; i < b.used; ++i) sorted[static_cast<size_t>(i)] = S(b.first + i, t);
      std::sort(sorted.begin(), sorted.end());
      const int64_t m = std::min(take, b.used);  // numpy's slices stop at the band's end
      double low = 0, high = 0;
      for (int64_t i = 0; i < m; ++i) low += sorted[static_cast<size_t>(i)];
      for (int64_t i = b.used - m; i < b.used; ++i) high += sorted[static_cast<size_t>(i)];
      valley(static_cast<int64_t>(k), t) = low / static_cast<double>(m);
      peak(static_cast<int64_t>(k), t) = high / static_cast<double>(m);
    }
  }
  if (o.linear) {
    for (size_t i = 0; i < peak.data.size(); ++i) peak.data[i] -= valley.data[i];
    return peak;
  }
  Matrix out = power_to_db(peak);
  const Matrix v = power_to_db(valley);
  for (size_t i = 0; i < out.data.size(); ++i) out.data[i] -= v.data[i];
  return out;
}

double a_weighting(double f, double min_db) {
  // librosa's constants; log10(f^2) is -inf at 0 Hz, which min_db floors.
  const double f2 = f * f;
  const double c0 = 12194.217 * 12194.217, c1 = 20.598997 * 20.598997, c2 = 107.65265 * 107.65265,
               c3 = 737.86223 * 737.86223;
  const double w = 2.0 + 20.0 * (std::log10(c0) + 2 * std::log10(f2) - std::log10(f2 + c0) - std::log10(f2 + c1) -
                                 0.5 * std::log10(f2 + c2) - 0.5 * std::log10(f2 + c3));
  return std::max(min_db, w);
}

Matrix loudness(const Matrix& power, double sr, int n_fft) {
  const std::vector<double> f = fft_frequencies(sr, n_fft);
  std::vector<double> weight(f.size());
  for (size_t k = 0; k < f.size(); ++k) weight[k] = std::pow(10.0, a_weighting(f[k]) * 0.1);  // librosa.db_to_power
  Matrix mean(1, power.cols);
  for (int64_t t = 0; t < power.cols; ++t) {
    double sum = 0;
    for (int64_t b = 0; b < power.rows; ++b) sum += power(b, t) * weight[static_cast<size_t>(b)];
    mean(0, t) = sum / static_cast<double>(power.rows);
  }
  DbOptions no_floor;
  no_floor.top_db = -1;
  return power_to_db(mean, no_floor);
}

}  // namespace ser::dsp
