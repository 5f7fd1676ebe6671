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

// The page of test faces of an image run's report: the first `per_class`
// test faces of each true class, with what the run's model predicts for
// them, as faces.npy ([N, H, W], pixels in [0, 1]) and an examples.json
// index ({"faces", "labels", "truth", "predicted"}). Empty for audio runs.
std::string write_face_examples(const ExperimentConfig& config, const std::string& run_dir, const std::string& out_dir,
                                int per_class = 7);

}  // namespace ser::experiments
