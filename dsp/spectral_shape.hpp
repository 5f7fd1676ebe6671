#pragma once
// The shape of each frame's magnitude spectrum, as librosa.feature computes
// it (0.10): spectral_centroid (the magnitude-weighted mean frequency),
// spectral_bandwidth (the weighted deviation about it, order p),
// spectral_rolloff (the lowest frequency under which roll_percent of the
// magnitude lies) and spectral_flatness (geometric over arithmetic mean of
// the power, floored at amin). Each takes |STFT| [1 + n_fft/2, frames] and
// gives [1, frames]; a silent frame gives 0 (flatness: 1).
// spectral_contrast gives the peak-to-valley difference in each octave band
// (n_bands + 1 rows), and loudness the A-weighted level of each frame.

#include "common/settings.hpp"
#include "dsp/matrix.hpp"

namespace ser::dsp {

// The settings of spectral_bandwidth, _rolloff and _flatness, librosa's
// defaults; the shape kinds register them (kShapeGroup).
struct ShapeOptions {
  double p = 2.0;                // bandwidth's order
  double roll_percent = 0.85;    // rolloff's fraction of the magnitude
  double flatness_power = 2.0;   // flatness of |S|^power
  void register_settings(Settings& s);
};

// spectral_contrast's settings (kContrastGroup), librosa's defaults.
struct ContrastOptions {
  int n_bands = 6;          // octave bands above the first, [0, fmin]
  double fmin = 200.0;      // upper edge of the first band, Hz
  double quantile = 0.02;   // the fraction of a band's bins averaged as its peak and its valley
  bool linear = false;      // peak - valley instead of their power_to_db difference
  void register_settings(Settings& s);
};

// librosa.fft_frequencies: bin k at k * sr / n_fft Hz.
std::vector<double> fft_frequencies(double sample_rate, int n_fft);

Matrix spectral_centroid(const Matrix& magnitude, double sample_rate, int n_fft);
Matrix spectral_bandwidth(const Matrix& magnitude, double sample_rate, int n_fft, double p = 2.0);
Matrix spectral_rolloff(const Matrix& magnitude, double sample_rate, int n_fft, double roll_percent = 0.85);
Matrix spectral_flatness(const Matrix& magnitude, double power = 2.0, double amin = 1e-10);

// librosa.feature.spectral_contrast of |STFT|: [n_bands + 1, frames]. The
// dB difference floors peak and valley each top_db (80) below their own
// maximum over all frames given, as power_to_db does. Throws
// std::invalid_argument when a band's lower edge reaches the Nyquist
// frequency, saying which setting to lower.
Matrix spectral_contrast(const Matrix& magnitude, double sample_rate, int n_fft, const ContrastOptions& options = {});

// librosa.A_weighting: dB at each frequency, floored at min_db.
double a_weighting(double frequency, double min_db = -80.0);
// The A-weighted level of each frame of |STFT|^2 [1 + n_fft/2, frames], in dB:
// power_to_db (ref 1, amin 1e-10, no top_db) of the mean over bins of the
// power weighted by db_to_power(A_weighting(f)). It follows how loud a
// frame sounds better than RMS does; it is not a Zwicker loudness in sones
// (eGeMAPS' loudness), which needs openSMILE's auditory spectrum.
Matrix loudness(const Matrix& power, double sample_rate, int n_fft);

}  // namespace ser::dsp
