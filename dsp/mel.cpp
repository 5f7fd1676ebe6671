#include "dsp/mel.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "dsp/audio.hpp"

namespace ser::dsp {

namespace {
constexpr double kFSp = 200.0 / 3;  // Slaney: linear part, Hz per mel
constexpr double kMinLogHz = 1000.0;
constexpr double kMinLogMel = kMinLogHz / kFSp;
const double kLogStep = std::log(6.4) / 27.0;
}  // namespace

double hz_to_mel(double hz, bool htk) {
  if (htk) return 2595.0 * std::log10(1.0 + hz / 700.0);
  if (hz >= kMinLogHz) return kMinLogMel + std::log(hz / kMinLogHz) / kLogStep;
  return hz / kFSp;
}

double mel_to_hz(double mel, bool htk) {
  if (htk) return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
  if (mel >= kMinLogMel) return kMinLogHz * std::exp(kLogStep * (mel - kMinLogMel));
  return kFSp * mel;
}

void MelOptions::register_settings(Settings& s) {
  s.integer("n_mels", n_mels, 1, kMaxMels, "mel bands");
  s.number("fmin", fmin, 0, kMaxSampleRate / 2, "lowest frequency of the filterbank").unit("Hz");
  s.number("fmax", fmax, 0, kMaxSampleRate / 2, "highest frequency of the filterbank")
      .unit("Hz")
      .special(-1, "half the sample rate", "none");
  s.flag("htk", htk, "HTK's mel scale instead of Slaney's");
  s.choice("mel_norm", slaney_norm, {"none", "slaney"}, "mel filter area normalisation");
}

std::vector<double> mel_frequencies(int n, double fmin, double fmax, bool htk) {
  const double lo = hz_to_mel(fmin, htk), hi = hz_to_mel(fmax, htk);
  std::vector<double> f(static_cast<size_t>(n));
  // numpy.linspace: start + i * step, the last point exactly `stop`.
  const double step = n > 1 ? (hi - lo) / (n - 1) : 0.0;
  for (int i = 0; i < n; ++i) f[static_cast<size_t>(i)] = mel_to_hz(i == n - 1 && n > 1 ? hi : lo + i * step, htk);
  return f;
}

std::vector<FilterSpan> mel_filter_spans(double sr, int n_fft, const MelOptions& o) {
  const double fmax = o.fmax < 0 ? sr / 2 : o.fmax;
  if (o.n_mels < 1) throw std::invalid_argument("n_mels must be >= 1");
  if (!(o.fmin >= 0 && o.fmin < fmax)) throw std::invalid_argument("mel filterbank needs 0 <= fmin < fmax");
  const int bins = n_fft / 2 + 1;
  const double fstep = 1.0 / (n_fft * (1.0 / sr));  // numpy.fft.rfftfreq(n_fft, 1 / sr)
  auto freq = [&](int b) { return b * fstep; };
  const std::vector<double> mel_f = mel_frequencies(o.n_mels + 2, o.fmin, fmax, o.htk);
  std::vector<FilterSpan> spans(static_cast<size_t>(o.n_mels));
  int lo = 0;  // the first bin above the current filter's lower edge; edges only rise
  for (int m = 0; m < o.n_mels; ++m) {
    const double f0 = mel_f[static_cast<size_t>(m)], f1 = mel_f[static_cast<size_t>(m + 1)],
                 f2 = mel_f[static_cast<size_t>(m + 2)];
    const double enorm = o.slaney_norm ? 2.0 / (f2 - f0) : 1.0;
    while (lo < bins && freq(lo) <= f0) ++lo;
    FilterSpan& span = spans[static_cast<size_t>(m)];
    span.first = lo;
    // Outside (f0, f2) the triangle is exactly zero.
    for (int b = lo; b < bins && freq(b) < f2; ++b) {
      const double lower = -(f0 - freq(b)) / (f1 - f0);
      const double upper = (f2 - freq(b)) / (f2 - f1);
      // librosa stores the triangle in a float32 array, then scales it in place.
      const float triangle = static_cast<float>(std::max(0.0, std::min(lower, upper)));
      span.weights.push_back(o.slaney_norm ? static_cast<float>(triangle * enorm) : triangle);
    }
  }
  return spans;
}

Matrix mel_filterbank(double sr, int n_fft, const MelOptions& o) {
  const auto spans = mel_filter_spans(sr, n_fft, o);
  Matrix w(o.n_mels, n_fft / 2 + 1);
  for (int m = 0; m < o.n_mels; ++m) {
    const FilterSpan& s = spans[static_cast<size_t>(m)];
    std::copy(s.weights.begin(), s.weights.end(), w.row(m) + s.first);
  }
  return w;
}

Matrix apply_filterbank(const Matrix& fb, const Matrix& S) {
  if (fb.cols != S.rows)
    throw std::invalid_argument("filterbank has " + std::to_string(fb.cols) + " bins, spectrogram " +
                                std::to_string(S.rows));
  Matrix out(fb.rows, S.cols);
  for (int64_t m = 0; m < fb.rows; ++m) {
    const double* w = fb.row(m);
    int64_t first = 0, last = fb.cols - 1;
    while (first < fb.cols && w[first] == 0.0) ++first;
    while (last >= first && w[last] == 0.0) --last;
    double* o = out.row(m);
    for (int64_t b = first; b <= last; ++b) {
      const double wb = w[b];
      const double* s = S.row(b);
      for (int64_t t = 0; t < S.cols; ++t) o[t] += wb * s[t];
    }
  }
  return out;
}

}  // namespace ser::dsp
