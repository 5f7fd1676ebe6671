#pragma once
// The audio examples of a run's report: for each class, the first test file
// of the run's own data, read as the run read it (sample rate, offset,
// duration), written as its waveform, mel spectrogram (dB) and MFCCs in .npy
// files with an examples.json index, for notebooks_export to plot.

#include <ostream>
#include <string>

#include "experiments/config.hpp"

namespace ser::experiments {

// Writes OUT_DIR/examples.json and its arrays and returns the index's path;
// empty when the run has no audio (image corpora). A file that fails to load
// is reported to `log` and the next file of its class is tried.
std::string write_audio_examples(const ExperimentConfig& config, const std::string& out_dir, std::ostream& log);

}  // namespace ser::experiments
