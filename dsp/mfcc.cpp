#include "dsp/mfcc.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>

namespace ser::dsp {

Matrix dct_matrix(int n_out, int n_in, bool ortho) {
  Matrix d(n_out, n_in);
  for (int k = 0; k < n_out; ++k) {
    const double scale = !ortho ? 2.0 : k == 0 ? std::sqrt(1.0 / n_in) : std::sqrt(2.0 / n_in);
    for (int n = 0; n < n_in; ++n) d(k, n) = scale * std::cos(std::numbers::pi * k * (2 * n + 1) / (2.0 * n_in));
  }
  return d;
}

MelSpectrogram::MelSpectrogram(double sr, const StftOptions& stft, const MelOptions& mel, double power)
    : stft_(stft), filterbank_(mel_filterbank(sr, stft_.options().n_fft, mel)), power_(power) {
  for (int64_t m = 0; m < filterbank_.rows; ++m) {
    const double* w = filterbank_.row(m);
    Span s{0, filterbank_.cols - 1};
    while (s.first < filterbank_.cols && w[s.first] == 0.0) ++s.first;
    while (s.last >= s.first && w[s.last] == 0.0) --s.last;
    spans_.push_back(s);
  }
}

Matrix MelSpectrogram::operator()(std::span<const float> y) const {
  const int64_t frames = stft_.frame_count(static_cast<int64_t>(y.size()));
  Matrix out(filterbank_.rows, frames);
  // Power spectra are gathered kBlock frames at a time, bin-major, so that
  // each filter weight meets kBlock frames in one vector multiply-add (the
  // block stays within L1: 4 x 1025 doubles).
  constexpr int64_t kBlock = 4;
  const int64_t bins = filterbank_.cols;
  std::vector<double> block(static_cast<size_t>(bins * kBlock), 0.0);
  auto flush = [&](int64_t first_frame, int64_t count) {
    for (int64_t m = 0; m < filterbank_.rows; ++m) {
      const double* w = filterbank_.row(m);
      double acc[kBlock] = {};
      for (int64_t b = spans_[static_cast<size_t>(m)].first; b <= spans_[static_cast<size_t>(m)].last; ++b) {
        const double* p = block.data() + b * kBlock;
        for (int64_t j = 0; j < kBlock; ++j) acc[j] += w[b] * p[j];
      }
      for (int64_t j = 0; j < count; ++j) out(m, first_frame + j) = acc[j];
    }
  };
  stft_.for_each_power_frame(y, [&](int64_t t, const double* power) {
    const int64_t j = t % kBlock;
    double* column = block.data() + j;
    if (power_ == 2.0) {
      for (int64_t b = 0; b < bins; ++b) column[b * kBlock] = power[b];
    } else {  // |X|^power from |X|^2
      for (int64_t b = 0; b < bins; ++b) column[b * kBlock] = std::pow(std::sqrt(power[b]), power_);
    }
    if (j == kBlock - 1 || t == frames - 1) flush(t - j, j + 1);
  });
  return out;
}

Matrix melspectrogram(std::span<const float> y, double sr, const StftOptions& stft, const MelOptions& mel,
                      double power) {
  return MelSpectrogram(sr, stft, mel, power)(y);
}

namespace {
Matrix apply_dct(const Matrix& D, const Matrix& S, int lifter) {
  const auto n_mfcc = static_cast<int>(D.rows);
  Matrix M(n_mfcc, S.cols);
  // Four coefficients per pass: each mel row is read once for four outputs.
  int k = 0;
  for (; k + 4 <= n_mfcc; k += 4) {
    double *o0 = M.row(k), *o1 = M.row(k + 1), *o2 = M.row(k + 2), *o3 = M.row(k + 3);
    for (int64_t n = 0; n < S.rows; ++n) {
      const double c0 = D(k, n), c1 = D(k + 1, n), c2 = D(k + 2, n), c3 = D(k + 3, n);
      const double* s = S.row(n);
      for (int64_t t = 0; t < S.cols; ++t) {
        o0[t] += c0 * s[t];
        o1[t] += c1 * s[t];
        o2[t] += c2 * s[t];
        o3[t] += c3 * s[t];
      }
    }
  }
  for (; k < n_mfcc; ++k) {
    double* out = M.row(k);
    for (int64_t n = 0; n < S.rows; ++n) {
      const double c = D(k, n);
      const double* s = S.row(n);
      for (int64_t t = 0; t < S.cols; ++t) out[t] += c * s[t];
    }
  }
  if (lifter > 0) {
    for (int k = 0; k < n_mfcc; ++k) {
      const double li = 1.0 + (lifter / 2.0) * std::sin(std::numbers::pi * (k + 1) / lifter);
      for (int64_t t = 0; t < M.cols; ++t) M(k, t) *= li;
    }
  }
  return M;
}
}  // namespace

Matrix mfcc_from_db(const Matrix& S, int n_mfcc, int lifter, bool dct_ortho) {
  if (n_mfcc < 1 || n_mfcc > S.rows)
    throw std::invalid_argument("n_mfcc must be between 1 and n_mels (" + std::to_string(S.rows) + ")");
  return apply_dct(dct_matrix(n_mfcc, static_cast<int>(S.rows), dct_ortho), S, lifter);
}

void CepstrumOptions::register_settings(Settings& s) {
  s.integer("n_mfcc", n_mfcc, 1, kMaxMels, "MFCC coefficients (at most n_mels)");
  s.integer("lifter", lifter, 0, 10000, "cepstral liftering 1 + lifter/2 sin(pi (n+1) / lifter) (0: none)");
  s.choice("dct_norm", dct_ortho, {"none", "ortho"}, "the DCT's normalisation (librosa.feature.mfcc's norm)");
}

MfccExtractor::MfccExtractor(double sr, const MfccOptions& o)
    : o_(o), mel_(sr, o.stft, o.mel, 2.0), dct_(dct_matrix(o.cepstrum.n_mfcc, o.mel.n_mels, o.cepstrum.dct_ortho)) {
  if (o.cepstrum.n_mfcc < 1 || o.cepstrum.n_mfcc > o.mel.n_mels)
    throw std::invalid_argument("n_mfcc must be between 1 and n_mels (" + std::to_string(o.mel.n_mels) + ")");
}

Matrix MfccExtractor::operator()(std::span<const float> y) const {
  return apply_dct(dct_, power_to_db(mel_(y), o_.db), o_.cepstrum.lifter);
}

Matrix mfcc(std::span<const float> y, double sr, const MfccOptions& o) { return MfccExtractor(sr, o)(y); }

}  // namespace ser::dsp
