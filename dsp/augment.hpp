#pragma once
// Audio augmentation, seeded: the same Rng state gives the same output.
// time_stretch and pitch_shift follow librosa.effects (phase vocoder on an
// STFT with n_fft 2048, hop 512; pitch shift = stretch, then resample).

#include <span>
#include <vector>

#include "common/rng.hpp"
#include "dsp/matrix.hpp"

namespace ser::dsp {

// The popular Kaggle recipe: y + (factor * U(0,1) * max|y|) * N(0,1).
std::vector<float> add_noise_relative_to_peak(std::span<const float> y, Rng& rng, double factor = 0.035);
// White Gaussian noise at a signal-to-noise ratio in dB (power ratio over the whole clip).
std::vector<float> add_noise_at_snr(std::span<const float> y, double snr_db, Rng& rng);
// Moves the signal by `samples` (positive: later). roll=true wraps around
// (numpy.roll, as the Kaggle recipe); otherwise the gap is filled with zeros.
std::vector<float> time_shift(std::span<const float> y, int64_t samples, bool roll = false);
// A shift drawn uniformly from [-max_seconds, max_seconds].
std::vector<float> random_time_shift(std::span<const float> y, double sample_rate, double max_seconds, Rng& rng,
                                     bool roll = false);
// Multiplies by a gain drawn uniformly in dB from [min_db, max_db].
std::vector<float> random_gain(std::span<const float> y, double min_db, double max_db, Rng& rng);

// librosa.phase_vocoder: stretches a complex STFT [bins, frames] in time by
// 1/rate, with hop n_fft/4.
ComplexMatrix phase_vocoder(const ComplexMatrix& D, double rate);
// librosa.effects.time_stretch: rate > 1 is faster (shorter), length round(n / rate); pitch unchanged.
std::vector<float> time_stretch(std::span<const float> y, double rate);
// librosa.effects.pitch_shift: by n_steps semitones (of bins_per_octave), duration unchanged.
std::vector<float> pitch_shift(std::span<const float> y, double sample_rate, double n_steps, int bins_per_octave = 12);

}  // namespace ser::dsp
