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
  std::string kind = "mfcc";  // mfcc, mel, mel_db, stft, zcr, rms, chroma, delta
  LoadOptions load;           // offset, duration, sample rate (0: native), resampler quality
  StftOptions stft;
  MelOptions mel;
  int n_mfcc = 20;
  DbOptions db;

  static const std::vector<std::string>& kinds();
  // Throws std::invalid_argument for an unknown kind or inconsistent settings.
  void validate() const;
  // "kind=mfcc;sr=22050;n_fft=2048;..." with every field that affects the values.
  std::string canonical() const;
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
