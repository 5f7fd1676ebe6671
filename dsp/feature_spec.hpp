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

// A feature setting out of its range. key() is the setting's config name
// ("hop", "n_fft"), so a config can point at its line and a command line at
// its option; the message says the allowed range.
class SettingError : public std::invalid_argument {
 public:
  SettingError(std::string key, const std::string& what) : std::invalid_argument(what), key_(std::move(key)) {}
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

// Ranges of the settings (beyond them a setting is a typo, not research).
inline constexpr int kMaxFft = 1 << 16;
inline constexpr int kMaxMels = 1024;

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
  // Throws SettingError for an unknown kind, a setting out of range or
  // settings that contradict each other.
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
