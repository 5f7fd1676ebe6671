#pragma once
// One audio file as the published notebooks show it (librosa.display's
// waveplot and specshow): the waveform, the mel spectrogram in dB and the
// MFCCs, stacked on one time axis, spectra in viridis with low frequencies
// at the bottom. `ser plot`.

#include <span>
#include <string>

#include "dsp/matrix.hpp"

namespace ser::experiments {

struct AudioPicture {
  std::string title;
  std::span<const float> wave;
  int sample_rate = 0, hop_length = 512;
  const dsp::Matrix* mel_db = nullptr;  // [bands, frames]
  const dsp::Matrix* mfcc = nullptr;    // [coefficients, frames]
};

// Writes a PNG atomically; throws std::runtime_error for a name not ending in .png.
void write_audio_plot(const std::string& path, const AudioPicture& picture, int width = 1200);

}  // namespace ser::experiments
