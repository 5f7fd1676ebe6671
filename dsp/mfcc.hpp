#pragma once
// MFCC as librosa.feature.mfcc: the orthonormal DCT-II of the dB-scaled mel
// power spectrogram, the first n_mfcc coefficients, optional liftering.

#include <span>

#include "dsp/db.hpp"
#include "dsp/mel.hpp"
#include "dsp/stft.hpp"

namespace ser::dsp {

// DCT-II matrix [n_out, n_in]: scipy.fftpack.dct(type=2) with norm='ortho'
// (orthonormal), or with norm=None (2 * sum x[n] cos(...), unscaled).
Matrix dct_matrix(int n_out, int n_in, bool ortho = true);

// The DCT matrix split by the symmetry of its rows (even k: even about the
// middle band, odd k: odd), transposed so a band's weights sit together:
// even_t [ceil(n_in/2), ceil(n_out/2)] and odd_t [floor(n_in/2), floor(n_out/2)].
struct DctPlan {
  DctPlan(int n_out, int n_in, bool ortho);
  int64_t n_mfcc, bands;
  Matrix even_t, odd_t;
};

// The cepstral step of MFCCs: how many coefficients, the DCT's
// normalisation and liftering (librosa.feature.mfcc's n_mfcc, norm, lifter).
struct CepstrumOptions {
  int n_mfcc = 20;
  int lifter = 0;
  // mfcc's own `norm`: the DCT's ('ortho' or None). The mel filterbank's
  // normalisation is MelOptions::slaney_norm. Note that librosa.feature.mfcc(...,
  // norm=None) sets this one, not the filterbank's.
  bool dct_ortho = true;
  void register_settings(Settings& s);
};

struct MfccOptions {
  StftOptions stft;
  MelOptions mel;
  DbOptions db;  // power_to_db: ref 1.0, amin 1e-10, top_db 80
  CepstrumOptions cepstrum;
};

// A mel spectrogram extractor for one configuration: the FFT plan and the
// filterbank are made once, then applied to any number of clips (from any
// number of threads).
class MelSpectrogram {
 public:
  MelSpectrogram(double sample_rate, const StftOptions& stft, const MelOptions& mel, double power = 2.0);
  Matrix operator()(std::span<const float> y) const;

 private:
  Stft stft_;
  std::vector<FilterSpan> filters_;
  double power_;
};

// The same for MFCCs: mel spectrogram, power_to_db, DCT (matrix made once).
class MfccExtractor {
 public:
  MfccExtractor(double sample_rate, const MfccOptions& options);
  Matrix operator()(std::span<const float> y) const;

 private:
  MfccOptions o_;
  MelSpectrogram mel_;
  DctPlan dct_;
};

// melspectrogram(y, power=2) -> [n_mels, frames]
Matrix melspectrogram(std::span<const float> y, double sample_rate, const StftOptions& stft, const MelOptions& mel,
                      double power = 2.0);
// From a dB-scaled mel spectrogram [n_mels, frames] -> [n_mfcc, frames].
Matrix mfcc_from_db(const Matrix& mel_db, int n_mfcc, int lifter = 0, bool dct_ortho = true);
Matrix mfcc(std::span<const float> y, double sample_rate, const MfccOptions& options = {});

}  // namespace ser::dsp
