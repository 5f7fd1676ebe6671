#pragma once
// SpecAugment's masks (Park et al. 2019), redrawn every epoch for every
// training sample: up to `time_masks` stretches of at most `time_width`
// frames and up to `freq_masks` bands of at most `freq_width` rows, each
// width drawn uniformly from [0, max] and its start uniformly where it
// fits, set to 0 (the mean of an input that is standardised, globally or
// per speaker, as these inputs are). Time warping is left out, as most SER
// work does. The caller seeds the Rng from (seed, epoch, row), so runs are
// the same on any thread count and after a resume.

#include <cstdint>

#include "common/rng.hpp"
#include "common/settings.hpp"

namespace ser::datasets {

struct SpecAugment {
  int time_masks = 0, time_width = 0;
  int freq_masks = 0, freq_width = 0;

  void register_settings(Settings& s);
  bool identity() const { return (time_masks == 0 || time_width == 0) && (freq_masks == 0 || freq_width == 0); }
  // Masks one sample of `rows` features by `frames` frames in place; the
  // sample is feature-major ([rows, frames], an image) or time-major
  // ([frames, rows], a sequence or flat input).
  void apply(float* sample, int64_t rows, int64_t frames, bool time_major, Rng& rng) const;
};

// The generator of one row's masks in one epoch (epochs counted from 1);
// another stream than the image augmentation's.
Rng spec_augment_rng(uint64_t seed, int epoch, uint64_t row);

}  // namespace ser::datasets
