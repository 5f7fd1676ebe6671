#pragma once
// One feature, completely described: its kind and the dsp options structs
// whose settings change its values. Every setting is registered once by its
// options struct (settings()); the canonical text, validation and every
// front end walk that registration. The canonical text, with the extraction
// code's revision (kExtractionRevision below), keys cached features: change
// one setting, or the code's values, and the key changes.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "common/settings.hpp"
#include "dsp/audio.hpp"
#include "dsp/feature_kind.hpp"
#include "dsp/mfcc.hpp"
#include "dsp/pyin.hpp"
#include "dsp/spectral_shape.hpp"
#include "dsp/voice_quality.hpp"
#include "dsp/yin.hpp"

namespace ser::dsp {

struct FeatureSpec {
  FeatureKind kind = FeatureKind::mfcc;
  LoadOptions load;  // offset, duration, sample rate (0: native), resampler quality
  StftOptions stft;  // also the frames of zcr and rms
  MelOptions mel;
  DbOptions db;  // power_to_db (mel_db, mfcc, delta) or amplitude_to_db (mel_amp_db)
  CepstrumOptions cepstrum;
  ShapeOptions shape;
  ContrastOptions contrast;
  PitchRange pitch;  // yin and pyin; their frames are the STFT's (n_fft, hop, padding)
  YinOptions yin;
  PyinOptions pyin;
  VoiceQualityOptions voice;

  // The settings of the given groups (loading and framing always), bound to
  // this spec's fields: valid while the spec lives, not copied with it.
  Settings settings(unsigned groups = kAllGroups);
  const char* kind_name() const { return kind_info(kind).name; }
  int64_t rows() const { return kind_info(kind).rows(*this); }
  // Throws SettingError for a setting out of range or settings that
  // contradict each other.
  void validate() const;
  // "v2;kind=mfcc;sample_rate=22050;n_fft=2048;..." with every setting that
  // changes this kind's values, as configs write them.
  std::string canonical() const;
  // The inverse of canonical(): parse(spec.canonical()) == spec, so a model
  // file carries the exact feature recipe (v1 text, written before settings
  // were registered, is read too). Throws std::invalid_argument naming the
  // field that is missing, unknown or malformed.
  static FeatureSpec parse(const std::string& canonical);
  uint64_t hash() const;  // FNV-1a 64 of canonical()
};

// The revision of the extraction code's values. Bump it with any change that
// moves a feature's values, even at float rounding (2: single precision's
// power spectra from LaneFft instead of FFTW), so that a feature cache never
// mixes values made before the change with values made after it. The spec
// names settings, not code, so model files do not carry this.
inline constexpr int kExtractionRevision = 2;

// What a kind's function is given: the spec and what was built for the
// sample rate (null unless the kind's entry asks for it).
struct FeatureTools {
  const FeatureSpec& spec;
  const Stft* stft = nullptr;
  const MelSpectrogram* mel = nullptr;
  const MfccExtractor* mfcc = nullptr;
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
