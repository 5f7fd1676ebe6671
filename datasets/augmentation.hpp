#pragma once
// Augmented copies of a corpus's files, as the Kaggle recipes make them
// (noise, pitch shift, stretch, shift, gain), described by text so a feature
// cache can key them and a run can record them.
//
// A copy keeps its file's path, names it as its `source` (so every split puts
// it on its source's side) and carries `augmentation`: the recipe, the copy
// number and the seed. Its random draws come from an Rng seeded by that text
// and the file's name, so a copy is the same whatever the thread order or
// the folder the corpus lives in.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/rng.hpp"
#include "common/settings.hpp"
#include "datasets/corpus.hpp"
#include "dsp/audio.hpp"

namespace ser::datasets {

struct AugmentRecipe {
  double stretch = 1.0;        // librosa.effects.time_stretch rate (1: none)
  double pitch = 0.0;          // semitones, librosa.effects.pitch_shift (0: none)
  double shift_seconds = 0.0;  // roll by a uniform draw from [-s, s] (np.roll, as the recipe)
  double gain_db = 0.0;        // gain drawn uniformly from [-g, g] dB
  double noise = 0.0;          // the Kaggle noise: y + factor * U(0,1) * max|y| * N(0,1)
  double snr_db = 0.0;         // white noise at this SNR in dB (0: none)

  // Each setting with its range: past them a recipe stops being
  // augmentation (a stretch of 0.01 makes every file 100 times longer, a
  // pitch of 1000 semitones asks for gigabytes, a gain of 1e6 dB gives infinities).
  void register_settings(Settings& s);
  bool identity() const;
  std::string canonical() const;  // "stretch=1;pitch=0.7;..." every field, full precision
  static AugmentRecipe parse(const std::string& text);
  // In the order stretch, pitch, shift, gain, noise.
  std::vector<float> apply(std::span<const float> y, int sample_rate, Rng& rng) const;
};

// The corpus with, after every sample, one copy per recipe.
Corpus with_augmented_copies(const Corpus& corpus, const std::vector<AugmentRecipe>& recipes, uint64_t seed);

// Applies a copy's recipe to its audio (already loaded with the feature's load options).
std::vector<float> augment_sample(const Sample& sample, std::span<const float> y, int sample_rate);

// A sample's audio loaded with `load`: the recording, or for a copy the
// recording with its recipe applied (what its cached features were made from).
dsp::Audio load_sample_audio(const Sample& sample, const dsp::LoadOptions& load);

}  // namespace ser::datasets
