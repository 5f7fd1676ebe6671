#pragma once
// One feature, completely described: which kind and every setting that
// changes its values. The canonical text names them all, so a hash of it
// keys cached features: change one setting and the key changes.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "dsp/audio.hpp"
#include "dsp/mfcc.hpp"

namespace ser::dsp {

struct FeatureSpec {
  // mfcc, mel, mel_db, mel_amp_db (amplitude_to_db of the mel of |STFT|, the
  // deepeshdm pipeline), stft, zcr, rms, chroma, delta
  std::string kind = "mfcc";
  LoadOptions load;           // offset, duration, sample rate (0: native), resampler quality
  StftOptions stft;
  MelOptions mel;
  int n_mfcc = 20;
  DbOptions db;                                 // power_to_db: mel_db, mfcc, delta
  DbOptions amplitude_db = amplitude_db_defaults();  // amplitude_to_db: mel_amp_db

  // Rows of the feature for these settings (n_mfcc, n_mels, 1 + n_fft/2, 12 or 1).
  int64_t rows() const;
  static const std::vector<std::string>& kinds();
  // Throws std::invalid_argument for an unknown kind or inconsistent settings.
  void validate() const;
  // "kind=mfcc;sr=22050;n_fft=2048;..." with every field that affects the values.
  std::string canonical() const;
  // The inverse of canonical(): parse(spec.canonical()) == spec, so a model
  // file can carry the exact feature recipe. Throws std::invalid_argument
  // naming the field that is missing or malformed.
  static FeatureSpec parse(const std::string& canonical);
  uint64_t hash() const;  // FNV-1a 64 of canonical()
};

// Computes a spec's feature, building FFT plans, filterbanks and DCTs once per
// sample rate; safe to call from several threads at once.
class FeatureExtractor {
 public:
  explicit FeatureExtractor(FeatureSpec spec);
  ~FeatureExtractor();
  const FeatureSpec& spec() const { return spec_; }
  // [features, frames] of a signal at `sample_rate`.
  Matrix operator()(std::span<const float> y, int sample_rate) const;
  // Loads the file with the spec's load options, then extracts.
  Matrix from_file(const std::string& path) const;

 private:
  struct PerRate;
  const PerRate& for_rate(int sample_rate) const;
  FeatureSpec spec_;
  mutable std::mutex mutex_;
  mutable std::map<int, std::unique_ptr<PerRate>> per_rate_;
};

}  // namespace ser::dsp
