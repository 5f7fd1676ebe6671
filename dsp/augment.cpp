#include "dsp/augment.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

#include "dsp/resample.hpp"
#include "dsp/stft.hpp"

namespace ser::dsp {

std::vector<float> add_noise_relative_to_peak(std::span<const float> y, Rng& rng, double factor) {
  double peak = 0;
  for (float v : y) peak = std::max(peak, static_cast<double>(std::abs(v)));
  const double amplitude = factor * rng.uniform() * peak;
  std::vector<float> out(y.begin(), y.end());
  for (float& v : out) v = static_cast<float>(v + amplitude * rng.normal());
  return out;
}

std::vector<float> add_noise_at_snr(std::span<const float> y, double snr_db, Rng& rng) {
  if (y.empty()) return {};
  double power = 0;
  for (float v : y) power += static_cast<double>(v) * v;
  power /= static_cast<double>(y.size());
  const double sigma = std::sqrt(power / std::pow(10.0, snr_db / 10.0));
  std::vector<float> out(y.begin(), y.end());
  for (float& v : out) v = static_cast<float>(v + sigma * rng.normal());
  return out;
}

std::vector<float> time_shift(std::span<const float> y, int64_t samples, bool roll) {
  const auto n = static_cast<int64_t>(y.size());
  std::vector<float> out(y.size(), 0.0f);
  for (int64_t i = 0; i < n; ++i) {
    int64_t j = i - samples;
    if (roll) j = ((j % n) + n) % n;
    if (j >= 0 && j < n) out[static_cast<size_t>(i)] = y[static_cast<size_t>(j)];
  }
  return out;
}

std::vector<float> random_time_shift(std::span<const float> y, double sr, double max_seconds, Rng& rng, bool roll) {
  const double seconds = rng.uniform(static_cast<float>(-max_seconds), static_cast<float>(max_seconds));
  return time_shift(y, static_cast<int64_t>(std::lround(seconds * sr)), roll);
}

std::vector<float> random_gain(std::span<const float> y, double min_db, double max_db, Rng& rng) {
  if (min_db > max_db) throw std::invalid_argument("random_gain: min_db > max_db");
  const double gain = std::pow(10.0, rng.uniform(static_cast<float>(min_db), static_cast<float>(max_db)) / 20.0);
  std::vector<float> out(y.begin(), y.end());
  for (float& v : out) v = static_cast<float>(v * gain);
  return out;
}

ComplexMatrix phase_vocoder(const ComplexMatrix& D, double rate) {
  if (!(rate > 0)) throw std::invalid_argument("phase vocoder: rate must be > 0");
  const int64_t bins = D.rows, frames = D.cols;
  const int64_t n_fft = 2 * (bins - 1), hop = n_fft / 4;
  std::vector<double> steps;  // numpy.arange(0, frames, rate)
  for (int64_t k = 0;; ++k) {
    const double s = static_cast<double>(k) * rate;
    if (s >= static_cast<double>(frames)) break;
    steps.push_back(s);
  }
  ComplexMatrix out(bins, static_cast<int64_t>(steps.size()));
  std::vector<double> advance(static_cast<size_t>(bins)), phase(static_cast<size_t>(bins));
  for (int64_t b = 0; b < bins; ++b) {
    advance[static_cast<size_t>(b)] =
        b == bins - 1 ? std::numbers::pi * hop : b * (std::numbers::pi * hop / static_cast<double>(bins - 1));
    phase[static_cast<size_t>(b)] = std::arg(D(b, 0));
  }
  // Two zero frames past the end, as librosa pads.
  auto at = [&](int64_t b, int64_t t) { return t < frames ? D(b, t) : std::complex<double>(0.0, 0.0); };
  for (size_t t = 0; t < steps.size(); ++t) {
    const auto left = static_cast<int64_t>(steps[t]);
    const double alpha = std::fmod(steps[t], 1.0);
    for (int64_t b = 0; b < bins; ++b) {
      const std::complex<double> c0 = at(b, left), c1 = at(b, left + 1);
      const double mag = (1.0 - alpha) * std::abs(c0) + alpha * std::abs(c1);
      double& acc = phase[static_cast<size_t>(b)];
      out(b, static_cast<int64_t>(t)) = {mag * std::cos(acc), mag * std::sin(acc)};
      double dphase = std::arg(c1) - std::arg(c0) - advance[static_cast<size_t>(b)];
      dphase -=
          2.0 * std::numbers::pi * std::nearbyint(dphase / (2.0 * std::numbers::pi));  // numpy.round: half to even
      acc += advance[static_cast<size_t>(b)] + dphase;
    }
  }
  return out;
}

std::vector<float> time_stretch(std::span<const float> y, double rate) {
  if (!(rate > 0)) throw std::invalid_argument("time stretch: rate must be > 0, got " + std::to_string(rate));
  const Stft stft(StftOptions{});
  const auto length = static_cast<int64_t>(std::nearbyint(static_cast<double>(y.size()) / rate));
  return stft.inverse(phase_vocoder(stft.transform(y), rate), length);
}

std::vector<float> pitch_shift(std::span<const float> y, double sr, double n_steps, int bins_per_octave) {
  if (bins_per_octave < 1) throw std::invalid_argument("pitch shift: bins_per_octave must be >= 1");
  const double rate = std::pow(2.0, -n_steps / bins_per_octave);
  std::vector<float> shifted = resample(time_stretch(y, rate), sr / rate, sr, ResampleQuality::high);
  shifted.resize(y.size(), 0.0f);  // librosa.util.fix_length
  return shifted;
}

}  // namespace ser::dsp
