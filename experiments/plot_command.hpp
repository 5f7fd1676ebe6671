#pragma once
// `ser plot AUDIO --out FILE.png`: a file's waveform, mel spectrogram and
// MFCCs in one picture (experiments/audio_plot.hpp).

#include <string>
#include <vector>

namespace ser::experiments {

// Returns the process exit code; prints --help when asked.
int plot_command(const std::vector<std::string>& args);

}  // namespace ser::experiments
