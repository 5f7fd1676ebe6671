#pragma once
// `ser demo`: the first command a new user runs. Without any data set it
// makes a small labelled speech corpus with espeak-ng (several voices, many
// words, one prosody style per emotion: rate, pitch, pitch range and volume,
// jittered per utterance), trains a small config on it with the same runner
// as `ser train`, tested on a voice it never heard, and shows the metrics,
// the run directory and a prediction through the saved model. With SER_DATA
// naming a folder that holds tess/, it runs the TESS pipeline instead.

#include <cstdint>
#include <ostream>
#include <string>

namespace ser::experiments {

struct DemoOptions {
  int epochs = 0;  // 0: the config's own
  uint64_t seed = 1;
  std::string out_dir = "runs/demo";
  std::string data_dir;    // SER_DATA (empty: the synthetic corpus)
  bool synthetic = false;  // the espeak-ng corpus even when SER_DATA is set
};

struct DemoResult {
  double test_accuracy = 0, test_macro_f1 = 0;
  std::string run_dir;
};

DemoResult run_demo(const DemoOptions& options, std::ostream& out);

// Writes the espeak-ng corpus to `dir` (<emotion>/<voice>_<word>.wav) and
// returns the number of files; an existing complete corpus is kept. Throws
// with the install command when espeak-ng is missing.
int synthesize_demo_corpus(const std::string& dir, uint64_t seed, std::ostream& log);

}  // namespace ser::experiments
