#pragma once
// Silence as librosa.effects.trim and librosa.effects.split (0.10) find it:
// the RMS of frames of frame_length every hop_length samples (centred,
// zero-padded), in dB below a reference (the loudest frame by default, or
// a fixed amplitude); a frame more than top_db below it is silent. Frame
// boundaries become samples at frame * hop_length, clipped to the signal.

#include <cstdint>
#include <span>
#include <vector>

#include "common/settings.hpp"

namespace ser::dsp {

struct SilenceOptions {
  double top_db = 60.0;
  int frame_length = 2048;
  int hop_length = 512;
  double ref = 0.0;  // reference amplitude; 0 (librosa's np.max): the loudest frame's RMS
  void register_settings(Settings& s);  // silence_top_db, _frame_length, _hop_length, _ref
  void validate() const;                // throws SettingError naming the setting
};

// A half-open range of samples [start, end).
struct Interval {
  int64_t start = 0, end = 0;
  int64_t length() const { return end - start; }
  bool operator==(const Interval&) const = default;
};

// Per frame: its RMS in dB against the reference (amplitude_to_db, amin 1e-5).
std::vector<double> frame_db(std::span<const float> y, const SilenceOptions& options);
// Per frame: louder than -top_db.
std::vector<bool> non_silent_frames(std::span<const float> y, const SilenceOptions& options);

// librosa.effects.trim's interval: from the first non-silent frame's first
// sample to the end of the last one; {0, 0} when every frame is silent.
Interval trim(std::span<const float> y, const SilenceOptions& options = {});
// librosa.effects.split: the non-silent intervals, in order.
std::vector<Interval> split(std::span<const float> y, const SilenceOptions& options = {});

}  // namespace ser::dsp
