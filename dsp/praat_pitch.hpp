#pragma once
// Pitch as Praat analyses it (Boersma 1993, "Accurate short-term analysis
// of the fundamental frequency and the harmonics-to-noise ratio of a sampled
// sound"): in each frame the normalised autocorrelation (Hanning window,
// divided by the window's own autocorrelation) or the forward
// cross-correlation, its maxima as candidates refined by windowed-sinc
// interpolation, and a Viterbi path through the candidates with Praat's
// costs for octave jumps and voicing changes. This is what Praat's "To
// Pitch" (ac) and "To Harmonicity (cc)" run; dsp/voice_quality builds
// jitter, shimmer and the harmonics-to-noise ratio on it. Times follow
// Praat's sampling of a sound read from a file: sample i (from 0) lies at
// (i + 0.5) / sample_rate seconds.

#include <span>
#include <vector>

namespace ser::dsp {

enum class PraatPitchMethod { autocorrelation, cross_correlation };

// Praat's settings; the defaults are "To Pitch (ac)"'s.
struct PraatPitchOptions {
  PraatPitchMethod method = PraatPitchMethod::autocorrelation;
  double time_step = 0;  // 0: periods_per_window / floor / 4
  double floor = 75, ceiling = 600;
  double periods_per_window = 3;
  int max_candidates = 15;
  double silence_threshold = 0.03, voicing_threshold = 0.45;
  double octave_cost = 0.01, octave_jump_cost = 0.35, voiced_unvoiced_cost = 0.14;
};

// One frame's winner: frequency 0 when unvoiced.
struct PraatPitchFrame {
  double frequency = 0, strength = 0;
};

struct PraatPitch {
  double start = 0, end = 0;  // the sound's time domain
  double first_time = 0, step = 0;
  double ceiling = 0;
  std::vector<PraatPitchFrame> frames;
  bool voiced(size_t i) const { return frames[i].frequency > 0 && frames[i].frequency < ceiling; }
  // Praat's Pitch_getValueAtTime with linear interpolation: NaN where the
  // nearest frame is unvoiced or `t` lies outside.
  double value_at(double t) const;
};

// Throws std::invalid_argument when the sound is too short for three
// periods of the floor (one for cross-correlation) or the settings are out of range.
PraatPitch praat_pitch(std::span<const double> x, int sample_rate, const PraatPitchOptions& options = {});

// Praat's NUM_interpolate_sinc: y (0-based storage) read at 1-based
// position `x` with a raised-cosine-windowed sinc of `depth` samples a side.
double sinc_interpolate(std::span<const double> y, double x, int depth);

}  // namespace ser::dsp
