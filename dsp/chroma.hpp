#pragma once
// Chroma from a power spectrogram as librosa.feature.chroma_stft (0.10):
// the tuning is estimated with librosa's piptrack + pitch_tuning unless
// given, the chroma filterbank is librosa.filters.chroma (Gaussian bumps,
// centre octave 5, width 2, starting at C), and each frame is scaled so that
// its largest chroma value is 1.

#include <optional>
#include <span>

#include "dsp/matrix.hpp"
#include "dsp/stft.hpp"

namespace ser::dsp {

// librosa.estimate_tuning(S=power, sr): in fractions of a chroma bin, [-0.5, 0.5).
double estimate_tuning(const Matrix& power, double sample_rate, double resolution = 0.01, int bins_per_octave = 12);

// librosa.filters.chroma: [n_chroma, 1 + n_fft/2], weights rounded to float32 as librosa's default dtype.
Matrix chroma_filterbank(double sample_rate, int n_fft, int n_chroma = 12, double tuning = 0.0);

struct ChromaOptions {
  StftOptions stft;
  int n_chroma = 12;
  std::optional<double> tuning;  // none: estimated from the signal
};

Matrix chroma_stft(std::span<const float> y, double sample_rate, const ChromaOptions& options = {});
// The same from a power spectrogram [1 + n_fft/2, frames] (chroma_stft(S=...)).
Matrix chroma_from_power(const Matrix& power, double sample_rate, const ChromaOptions& options = {});

}  // namespace ser::dsp
