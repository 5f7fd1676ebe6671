#pragma once
// One frame of interleaved channels to one mono sample, as every audio
// input of ser mixes (files, containers, raw PCM, microphones): a float32
// sum, then a division by the channel count, which is numpy's mean of
// float32 channels and so librosa.load's to_mono.

namespace ser::dsp {

inline float mono_of(const float* frame, int channels) {
  float v = frame[0];
  if (channels == 1) return v;
  for (int c = 1; c < channels; ++c) v += frame[c];
  return v / static_cast<float>(channels);
}

}  // namespace ser::dsp
