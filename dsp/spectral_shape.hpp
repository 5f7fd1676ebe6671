#pragma once
// The shape of each frame's magnitude spectrum, as librosa.feature computes
// it (0.10): spectral_centroid (the magnitude-weighted mean frequency),
// spectral_bandwidth (the weighted deviation about it, order p),
// spectral_rolloff (the lowest frequency under which roll_percent of the
// magnitude lies) and spectral_flatness (geometric over arithmetic mean of
// the power, floored at amin). Each takes |STFT| [1 + n_fft/2, frames] and
// gives [1, frames]; a silent frame gives 0 (flatness: 1).

#include "dsp/matrix.hpp"

namespace ser::dsp {

// librosa.fft_frequencies: bin k at k * sr / n_fft Hz.
std::vector<double> fft_frequencies(double sample_rate, int n_fft);

Matrix spectral_centroid(const Matrix& magnitude, double sample_rate, int n_fft);
Matrix spectral_bandwidth(const Matrix& magnitude, double sample_rate, int n_fft, double p = 2.0);
Matrix spectral_rolloff(const Matrix& magnitude, double sample_rate, int n_fft, double roll_percent = 0.85);
Matrix spectral_flatness(const Matrix& magnitude, double power = 2.0, double amin = 1e-10);

}  // namespace ser::dsp
