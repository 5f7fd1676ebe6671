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

Matrix melspectrogram(std::span<const float> y, double sr, const StftOptions& stft, const MelOptions& mel,
                      double power) {
  const Stft transform(stft);
  return apply_filterbank(mel_filterbank(sr, stft.n_fft, mel), transform.spectrogram(y, power));
}

Matrix mfcc_from_db(const Matrix& S, int n_mfcc, int lifter, bool dct_ortho) {
  if (n_mfcc < 1 || n_mfcc > S.rows)
    throw std::invalid_argument("n_mfcc must be between 1 and n_mels (" + std::to_string(S.rows) + ")");
  const Matrix D = dct_matrix(n_mfcc, static_cast<int>(S.rows), dct_ortho);
  Matrix M(n_mfcc, S.cols);
  for (int k = 0; k < n_mfcc; ++k) {
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

Matrix mfcc(std::span<const float> y, double sr, const MfccOptions& o) {
  return mfcc_from_db(power_to_db(melspectrogram(y, sr, o.stft, o.mel, 2.0), o.db), o.n_mfcc, o.lifter, o.dct_ortho);
}

}  // namespace ser::dsp
