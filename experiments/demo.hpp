#pragma once
// `ser demo`: a self-contained training run that needs no download. It
// synthesises four classes of pitch contour (rising, falling, steady,
// vibrato), the kind of cue emotion models learn from speech, trains a small
// 1-D CNN on the waveforms, reports accuracy and a confusion matrix, and
// saves and reloads the model.

#include <cstdint>
#include <ostream>
#include <string>

namespace ser::experiments {

struct DemoOptions {
  int epochs = 8;
  uint64_t seed = 1;
  std::string out_dir = "runs/demo";
};

struct DemoResult {
  double test_accuracy = 0;
  std::string model_path;
};

DemoResult run_demo(const DemoOptions& options, std::ostream& out);

}  // namespace ser::experiments
