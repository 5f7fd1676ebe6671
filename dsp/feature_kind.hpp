#pragma once
// The feature kinds, one table: each entry names a kind, says what it
// computes, which setting groups change its values, what it needs prepared
// per sample rate, its rows and the function that computes it. Adding a kind
// is one enum value, one entry and one function (feature_kind.cpp); configs,
// the command line, --help, cache keys and model files follow from the table.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dsp/matrix.hpp"

namespace ser::dsp {

enum class FeatureKind { mfcc, mel, mel_db, mel_amp_db, stft, zcr, rms, chroma, delta, centroid, bandwidth, rolloff, flatness, contrast, loudness, yin, pyin, voice };

// Settings beyond loading and framing (always used) that change a kind's values.
enum SettingGroup : unsigned {
  kMelGroup = 1,
  kDbGroup = 2,
  kCepstrumGroup = 4,
  kShapeGroup = 8,     // bandwidth's p, rolloff's roll_percent, flatness' power
  kContrastGroup = 16,
  kPitchGroup = 32,  // yin and pyin's search range
  kYinGroup = 64,
  kPyinGroup = 128,
  kVoiceGroup = 256,  // voice quality's pitch floor and ceiling
  kAllGroups = 511
};
// What a kind needs built once per sample rate (FFT plans, filterbanks, DCTs).
enum FeatureTool : unsigned { kStftTool = 1, kMelPowerTool = 2, kMelMagnitudeTool = 4, kMfccTool = 8 };

struct FeatureSpec;
struct FeatureTools;

// The per-frame part of a kind: each frame's column depends on that frame's
// samples alone, so a stream computes it once per frame as samples arrive
// (dsp/feature_stream). The rest of the kind, its finish, works on a window
// of such columns.
enum class FrameColumns { mel_power, mel_magnitude, stft_magnitude, stft_power, zcr, rms, yin_f0, pyin_observations,
                          whole_clip };  // a summary of the whole signal: no stream can compute it

struct FeatureKindInfo {
  FeatureKind kind;
  const char* name;  // as in configs and on the command line
  const char* what;  // for --help: what it computes, in librosa's terms
  unsigned groups;   // SettingGroup bits
  unsigned tools;    // FeatureTool bits
  int64_t (*rows)(const FeatureSpec& spec);
  // [rows, frames] of a signal at `sample_rate`.
  Matrix (*compute)(const FeatureTools& tools, std::span<const float> y, int sample_rate);
  FrameColumns columns;
  // A window of columns [column rows, frames] to the kind's [rows, frames]:
  // what depends on more than one frame (dB floors top_db below the
  // window's peak, chroma's tuning, deltas) or is cheap per window (the DCT).
  // compute(y) == finish(columns of y) for every kind (test_feature_stream).
  Matrix (*finish)(const FeatureSpec& spec, Matrix columns, int sample_rate);
};

std::span<const FeatureKindInfo> feature_kinds();
const FeatureKindInfo& kind_info(FeatureKind kind);
std::vector<std::string> feature_kind_names();
// Throws SettingError("kind", ...) listing the kinds for an unknown name.
FeatureKind parse_feature_kind(const std::string& name);

}  // namespace ser::dsp
