#include "dsp/yin.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace ser::dsp {

void PitchRange::register_settings(Settings& s) {
  s.number("pitch_fmin", fmin, 1, 48000, "lowest f0 yin and pyin look for").unit("Hz");
  s.number("pitch_fmax", fmax, 1, 48000, "highest f0 yin and pyin look for (at most half the sample rate)").unit("Hz");
  s.integer("yin_window", window, 1, 1 << 16, "samples compared at each lag by yin and pyin").special(0, "n_fft/2");
}

void YinOptions::register_settings(Settings& s) {
  s.number("yin_threshold", threshold, 0, 1, "yin takes the first trough of the normalised difference below this");
}

YinLags yin_lags(int sr, int frame_length, const PitchRange& r) {
  YinLags l;
  l.frame_length = frame_length;
  l.window = r.window ? r.window : frame_length / 2;
  const std::string at = " (sample rate " + std::to_string(sr) + " Hz, n_fft " + std::to_string(frame_length) + ")";
  if (r.fmax > sr / 2.0)
    throw std::invalid_argument("pitch_fmax " + format_number(r.fmax) + " Hz is above the Nyquist frequency" + at);
  if (r.fmin >= r.fmax)
    throw std::invalid_argument("pitch_fmin " + format_number(r.fmin) + " Hz must be below pitch_fmax " +
                                format_number(r.fmax) + " Hz");
  if (l.window >= frame_length)
    throw std::invalid_argument("yin_window " + std::to_string(l.window) + " must be below n_fft" + at);
  if (frame_length - l.window - 1 <= std::floor(sr / r.fmax))
    throw std::invalid_argument("pitch_fmax " + format_number(r.fmax) + " Hz is too low for n_fft - yin_window" + at +
                                "; raise pitch_fmax to " + format_number(sr / double(frame_length - l.window - 1)) +
                                " Hz or n_fft to " +
                                std::to_string(static_cast<int>(std::ceil(sr / r.fmax)) + l.window + 1));
  l.min_period = static_cast<int>(std::floor(sr / r.fmax));
  l.max_period = std::min(static_cast<int>(std::ceil(sr / r.fmin)), frame_length - l.window - 1);
  if (l.count() < 2)
    throw std::invalid_argument("pitch_fmin and pitch_fmax leave fewer than two lags to compare" + at);
  return l;
}

namespace {

// sum_{i=1}^{w} x[i] * x[i + lag]: numpy's FFT correlation of the frame with
// its reversed samples w..1; eight running sums let the compiler vectorise.
double lagged_product(const double* x, int w, int lag) {
  double acc[8] = {};
  int i = 1;
  for (; i + 7 <= w; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += x[i + j] * x[i + j + lag];
  double sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; i <= w; ++i) sum += x[i] * x[i + lag];
  return sum;
}

// librosa zeroes terms below 1e-6 in magnitude (rounding noise of silence).
double cut(double v) { return std::abs(v) < 1e-6 ? 0.0 : v; }

}  // namespace

void yin_difference(std::span<const double> x, const YinLags& l, std::vector<double>& out) {
  const int w = l.window, last = l.max_period;
  // Energies of x[lag+1 .. lag+w] as differences of one running sum (numpy's cumsum).
  std::vector<double> running(static_cast<size_t>(last + w + 1));
  double run = 0;
  for (size_t i = 0; i < running.size(); ++i) running[i] = run += x[i] * x[i];
  std::vector<double> d(static_cast<size_t>(last) + 1);
  const double e0 = cut(running[static_cast<size_t>(w)] - running[0]);
  for (int lag = 0; lag <= last; ++lag) {
    const double e = cut(running[static_cast<size_t>(lag + w)] - running[static_cast<size_t>(lag)]);
    d[static_cast<size_t>(lag)] = e0 + e - 2 * cut(lagged_product(x.data(), w, lag));
  }
  out.resize(static_cast<size_t>(l.count()));
  double cumulative = 0;
  for (int lag = 1; lag <= last; ++lag) {
    cumulative += d[static_cast<size_t>(lag)];
    if (lag >= l.min_period)
      out[static_cast<size_t>(lag - l.min_period)] =
          d[static_cast<size_t>(lag)] / (cumulative / lag + std::numeric_limits<double>::min());
  }
}

std::vector<double> parabolic_shifts(std::span<const double> d) {
  std::vector<double> s(d.size(), 0.0);
  for (size_t i = 1; i + 1 < d.size(); ++i) {
    const double a = d[i + 1] + d[i - 1] - 2 * d[i];
    const double b = (d[i + 1] - d[i - 1]) / 2;
    s[i] = std::abs(b) >= std::abs(a) ? 0.0 : -b / a;
  }
  return s;
}

std::vector<bool> yin_troughs(std::span<const double> d) {
  const size_t n = d.size();
  std::vector<bool> t(n, false);
  for (size_t i = 1; i + 1 < n; ++i) t[i] = d[i] < d[i - 1] && d[i] <= d[i + 1];
  t[0] = d[0] < d[1];
  t[n - 1] = d[n - 1] < d[n - 2];
  return t;
}

Frames framed(std::span<const float> y, const FrameOptions& f, PadMode pad_mode) {
  const int pad = f.center ? f.frame_length / 2 : 0;
  Frames out{pad_signal(y, pad, pad, pad_mode), 0};
  const auto n = static_cast<int64_t>(out.padded.size());
  if (n < f.frame_length)
    throw std::invalid_argument("a signal of " + std::to_string(y.size()) + " samples is shorter than one frame (" +
                                std::to_string(f.frame_length) + ")");
  out.count = 1 + (n - f.frame_length) / f.hop_length;
  return out;
}

namespace {
// The frame's f0: the first trough below the threshold, else the global
// minimum, moved by its parabola.
double yin_f0(std::span<const double> d, const YinLags& l, double threshold, int sr) {
  const std::vector<bool> trough = yin_troughs(d);
  size_t best = 0;
  while (best < d.size() && !(trough[best] && d[best] < threshold)) ++best;
  if (best == d.size()) best = static_cast<size_t>(std::min_element(d.begin(), d.end()) - d.begin());
  const std::vector<double> shift = parabolic_shifts(d);
  return sr / (l.min_period + static_cast<double>(best) + shift[best]);
}
}  // namespace

Matrix yin(std::span<const float> y, int sr, const FrameOptions& f, PadMode pad_mode, const PitchRange& range,
           const YinOptions& o) {
  const YinLags lags = yin_lags(sr, f.frame_length, range);
  const Frames frames = framed(y, f, pad_mode);
  Matrix out(1, frames.count);
  std::vector<double> d;
  for (int64_t t = 0; t < frames.count; ++t) {
    yin_difference(std::span(frames.padded).subspan(static_cast<size_t>(t * f.hop_length), f.frame_length), lags, d);
    out(0, t) = yin_f0(d, lags, o.threshold, sr);
  }
  return out;
}

}  // namespace ser::dsp
