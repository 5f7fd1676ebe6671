#include "dsp/chroma.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "dsp/mel.hpp"

namespace ser::dsp {

namespace {
constexpr double kTiny = std::numeric_limits<double>::min();  // numpy's tiny for float64

double numpy_mod(double a, double b) {
  double m = std::fmod(a, b);
  if (m != 0 && ((b < 0) != (m < 0))) m += b;
  return m;
}

double median(std::vector<double> v) {
  const size_t n = v.size();
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n / 2), v.end());
  const double hi = v[n / 2];
  if (n % 2) return hi;
  return (*std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n / 2)) + hi) / 2;
}
}  // namespace

double estimate_tuning(const Matrix& S, double sr, double resolution, int bins_per_octave) {
  // piptrack(S=S, sr=sr) with its defaults: fmin 150, fmax 4000, threshold 0.1 of each frame's maximum.
  const int64_t B = S.rows, T = S.cols;
  const int n_fft = static_cast<int>(2 * (B - 1));
  const double fmin = 150.0, fmax = std::min(4000.0, sr / 2), fstep = 1.0 / (n_fft * (1.0 / sr));
  std::vector<double> pitches, mags;
  for (int64_t t = 0; t < T; ++t) {
    double peak = 0;
    for (int64_t b = 0; b < B; ++b) peak = std::max(peak, S(b, t));
    const double ref = 0.1 * peak;
    auto gated = [&](int64_t b) { return S(b, t) > ref ? S(b, t) : 0.0; };  // S * (S > ref)
    for (int64_t b = 1; b + 1 < B; ++b) {
      const double f = b * fstep;
      if (!(fmin <= f && f < fmax)) continue;
      const double g = gated(b);
      if (!(g > gated(b - 1) && g >= gated(b + 1))) continue;  // librosa.util.localmax
      const double lo = S(b - 1, t), mid = S(b, t), hi = S(b + 1, t);
      // librosa's parabolic-interpolation stencil: no shift when the vertex is outside [b-1, b+1].
      const double a = hi + lo - 2 * mid, half_slope = (hi - lo) / 2;
      const double shift = std::abs(half_slope) >= std::abs(a) ? 0.0 : -half_slope / a;
      const double avg = (hi - lo) / 2;  // numpy.gradient inside the array
      const double pitch = (static_cast<double>(b) + shift) * sr / n_fft;
      if (pitch > 0) {
        pitches.push_back(pitch);
        mags.push_back(mid + 0.5 * avg * shift);
      }
    }
  }
  if (pitches.empty()) return 0.0;
  const double threshold = median(mags);
  // pitch_tuning: where in the semitone each strong pitch sits, histogrammed.
  const int n_bins = static_cast<int>(std::ceil(1.0 / resolution));
  std::vector<double> edges(static_cast<size_t>(n_bins + 1));
  const double step = 1.0 / n_bins;
  for (int i = 0; i <= n_bins; ++i) edges[static_cast<size_t>(i)] = i == n_bins ? 0.5 : -0.5 + i * step;
  std::vector<int64_t> counts(static_cast<size_t>(n_bins), 0);
  for (size_t i = 0; i < pitches.size(); ++i) {
    if (!(mags[i] >= threshold)) continue;
    double r = numpy_mod(bins_per_octave * std::log2(pitches[i] / (440.0 / 16)), 1.0);
    if (r >= 0.5) r -= 1.0;
    // numpy.histogram's index computation for equal bins, with its edge corrections.
    auto k = static_cast<int64_t>((r - edges[0]) * (n_bins / (edges.back() - edges[0])));
    if (k == n_bins) --k;
    if (r < edges[static_cast<size_t>(k)]) --k;
    if (k != n_bins - 1 && r >= edges[static_cast<size_t>(k + 1)]) ++k;
    if (k >= 0 && k < n_bins) ++counts[static_cast<size_t>(k)];
  }
  const auto best = std::max_element(counts.begin(), counts.end()) - counts.begin();
  return edges[static_cast<size_t>(best)];
}

Matrix chroma_filterbank(double sr, int n_fft, int n_chroma, double tuning) {
  const int64_t N = n_fft;
  std::vector<double> frqbins(static_cast<size_t>(N));
  const double a440 = 440.0 * std::pow(2.0, tuning / n_chroma);
  const double step = sr / n_fft;
  for (int64_t k = 1; k < N; ++k) frqbins[static_cast<size_t>(k)] = n_chroma * std::log2(k * step / (a440 / 16));
  frqbins[0] = frqbins[1] - 1.5 * n_chroma;
  std::vector<double> width(static_cast<size_t>(N));
  for (int64_t k = 0; k + 1 < N; ++k)
    width[static_cast<size_t>(k)] =
        std::max(frqbins[static_cast<size_t>(k + 1)] - frqbins[static_cast<size_t>(k)], 1.0);
  width[static_cast<size_t>(N - 1)] = 1.0;
  const double half = std::round(n_chroma / 2.0);
  Matrix w(n_chroma, N);
  for (int64_t k = 0; k < N; ++k) {
    double norm = 0;
    for (int c = 0; c < n_chroma; ++c) {
      const double d = numpy_mod(frqbins[static_cast<size_t>(k)] - c + half + 10 * n_chroma, n_chroma) - half;
      const double v = std::exp(-0.5 * std::pow(2 * d / width[static_cast<size_t>(k)], 2));
      w(c, k) = v;
      norm += v * v;
    }
    norm = std::sqrt(norm);
    if (norm < kTiny) norm = 1.0;
    const double octave = std::exp(-0.5 * std::pow((frqbins[static_cast<size_t>(k)] / n_chroma - 5.0) / 2.0, 2));
    for (int c = 0; c < n_chroma; ++c) w(c, k) = w(c, k) / norm * octave;
  }
  // Start at C (np.roll by -3 bins) and keep the non-negative frequencies, as float32.
  const int shift = 3 * (n_chroma / 12);
  Matrix out(n_chroma, N / 2 + 1);
  for (int c = 0; c < n_chroma; ++c)
    for (int64_t k = 0; k < out.cols; ++k) out(c, k) = static_cast<float>(w((c + shift) % n_chroma, k));
  return out;
}

Matrix chroma_stft(std::span<const float> y, double sr, const ChromaOptions& o) {
  return chroma_from_power(Stft(o.stft).spectrogram(y, 2.0), sr, o);
}

Matrix chroma_from_power(const Matrix& S, double sr, const ChromaOptions& o) {
  const double tuning = o.tuning ? *o.tuning : estimate_tuning(S, sr, 0.01, o.n_chroma);
  Matrix chroma = apply_filterbank(chroma_filterbank(sr, o.stft.n_fft, o.n_chroma, tuning), S);
  for (int64_t t = 0; t < chroma.cols; ++t) {  // librosa.util.normalize(norm=inf) per frame
    double peak = 0;
    for (int64_t c = 0; c < chroma.rows; ++c) peak = std::max(peak, std::abs(chroma(c, t)));
    if (peak < kTiny) peak = 1.0;
    for (int64_t c = 0; c < chroma.rows; ++c) chroma(c, t) /= peak;
  }
  return chroma;
}

}  // namespace ser::dsp
