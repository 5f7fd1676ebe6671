#pragma once
// Waveform augmentation redrawn every epoch for every training recording:
// speed perturbation (Ko et al. 2015: the recording resampled to play 0.9,
// 1.0 or 1.1 times as fast, so tempo and pitch move together, as sox's
// `speed`), a random gain, and white noise at a random signal-to-noise
// ratio. The caller seeds the Rng from (seed, epoch, row), so an epoch's
// audio is the same on any thread count and after a resume; the features
// are then extracted from it afresh (experiments/wave_augmented_rows).

#include <cstdint>
#include <span>
#include <vector>

#include "common/rng.hpp"
#include "common/settings.hpp"

namespace ser::datasets {

struct WaveAugment {
  double speed = 0;              // each row plays at 1 - speed, 1 or 1 + speed times (drawn evenly); 0: off
  double gain_db = 0;            // gain drawn uniformly from [-gain_db, gain_db]
  double noise_probability = 0;  // share of rows given noise each epoch
  double snr_min = 10, snr_max = 40;  // the noise's SNR in dB, drawn uniformly from [min, max]

  void register_settings(Settings& s);
  bool identity() const { return speed == 0 && gain_db == 0 && noise_probability == 0; }
  // Throws SettingError when snr_min > snr_max.
  void validate() const;
  // In the order speed, gain, noise; every draw is made whether used or
  // not, so changing one setting leaves the others' draws where they were.
  std::vector<float> apply(std::span<const float> y, int sample_rate, Rng& rng) const;
};

// The generator of one row's waveform in one epoch (epochs counted from 1);
// another stream than SpecAugment's and the image augmentation's.
Rng wave_augment_rng(uint64_t seed, int epoch, uint64_t row);

}  // namespace ser::datasets
