#pragma once
// Frame-wise time-domain features as librosa.feature.zero_crossing_rate and
// librosa.feature.rms: frames of frame_length every hop_length samples,
// centred by padding frame_length/2 on each side.

#include <span>

#include "dsp/matrix.hpp"
#include "dsp/stft.hpp"

namespace ser::dsp {

struct FrameOptions {
  int frame_length = 2048;
  int hop_length = 512;
  bool center = true;
};

// Fraction of sign changes between consecutive samples in each frame
// (|y| <= 1e-10 counts as zero, zero counts as positive); edge padding. [1, frames]
Matrix zero_crossing_rate(std::span<const float> y, const FrameOptions& options = {});

// sqrt(mean(y^2)) per frame; `pad_mode` for the centring (librosa: constant). [1, frames]
Matrix rms(std::span<const float> y, const FrameOptions& options = {}, PadMode pad_mode = PadMode::constant);

}  // namespace ser::dsp
