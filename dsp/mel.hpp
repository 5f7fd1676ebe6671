#pragma once
// Mel scale and filterbank as librosa.filters.mel (0.10): Slaney's scale
// (linear below 1 kHz, logarithmic above) or HTK's, triangular filters
// between adjacent mel-spaced frequencies, Slaney area normalisation or none.

#include <string>
#include <vector>

#include "common/settings.hpp"
#include "dsp/matrix.hpp"

namespace ser::dsp {

double hz_to_mel(double hz, bool htk);
double mel_to_hz(double mel, bool htk);
// n frequencies evenly spaced on the mel scale from fmin to fmax, in Hz.
std::vector<double> mel_frequencies(int n, double fmin, double fmax, bool htk);

struct MelOptions {
  int n_mels = 128;
  double fmin = 0.0;
  double fmax = -1.0;  // negative: sr / 2
  bool htk = false;
  bool slaney_norm = true;  // norm='slaney'; false: norm=None
  void register_settings(Settings& s);
};

inline constexpr int kMaxMels = 1024;  // the n_mels setting's limit

// One filter's non-zero part: the weights of bins first, first + 1, ...
struct FilterSpan {
  int first = 0;
  std::vector<double> weights;
};

// The filters of mel_filterbank by their spans: a 128-band bank of a
// 2048-point FFT has about 2,000 non-zero weights of 131,000.
std::vector<FilterSpan> mel_filter_spans(double sample_rate, int n_fft, const MelOptions& options);

// Filterbank [n_mels, 1 + n_fft/2]. Like librosa (dtype float32 by default),
// the weights are rounded to float32 values.
Matrix mel_filterbank(double sample_rate, int n_fft, const MelOptions& options);

// filterbank x spectrogram: [n_mels, bins] x [bins, frames] -> [n_mels, frames].
// The filters are sparse; only their non-zero span is visited.
Matrix apply_filterbank(const Matrix& filterbank, const Matrix& spectrogram);

}  // namespace ser::dsp
