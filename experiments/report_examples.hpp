#pragma once
// The examples of a report, as .npy files with an examples.json index for
// notebooks_export to plot: for audio runs, the first test file of each
// class, read as the run read it (sample rate, offset, duration), as its
// waveform, mel spectrogram (dB) and MFCCs; for image runs, a page of faces
// with the model's predictions.

#include <ostream>
#include <string>

#include "experiments/config.hpp"
#include "experiments/evaluate_run.hpp"

namespace ser::experiments {

// Writes OUT_DIR/examples.json and its arrays and returns the index's path;
// empty when the run has no audio (image corpora). A file that fails to load
// is reported to `log` and the next file of its class is tried.
std::string write_audio_examples(const ExperimentConfig& config, const std::string& out_dir, std::ostream& log);

// The page of test faces of an image run's report: the first `per_class`
// test faces of each true class, with what the run's model predicts for
// them, as faces.npy ([N, H, W], pixels in [0, 1]) and an examples.json
// index ({"faces", "labels", "truth", "predicted", "files"}). Empty for audio runs.
std::string write_face_examples(const ExperimentConfig& config, const std::string& run_dir, const std::string& out_dir,
                                int per_class = 7);

// The same page for what `ser eval` scored (one run or an ensemble, in its
// test-time views): the first `per_class` scored faces of each true class
// with the predictions of `result`. Empty for audio runs.
std::string write_eval_face_examples(const EvalResult& result, const std::string& out_dir, int per_class = 7);

}  // namespace ser::experiments
