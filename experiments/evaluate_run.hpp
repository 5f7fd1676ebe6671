#pragma once
// `ser eval`: a finished run's model, or several runs' models averaged (an
// ensemble), scored on every file of a data set of the same kind (for
// example held-out speakers kept in another folder), or on one part of the
// first run's own split (its test speakers).

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "common/communicator.hpp"
#include "experiments/config.hpp"
#include "experiments/metrics.hpp"

namespace ser::experiments {

enum class EvalPart { all, test, validation };
inline constexpr const char* kEvalParts[] = {"all", "test", "validation"};

struct EvalOptions {
  std::string data_root;  // empty: the roots the run trained on
  std::string cache_dir;  // empty: RUN/../../cache, the cache `ser train` used
  std::string data_dir;   // SER_DATA, for configs without roots
  int threads = 0;  // feature extraction and the model (0: the run's count)
  // all: every file of the data set; test, validation: the files of that
  // part of the first run's split (its config and seed decide it, as in training).
  EvalPart part = EvalPart::all;
  // Image models: each image also scored mirrored left to right, the two
  // probabilities averaged (test-time augmentation for models trained with
  // flips; choose it on the validation part, never on the test part).
  bool mirror = false;
  // Image models: each image also scored moved this many pixels up, down,
  // left and right (edge pixels repeated), the views' probabilities averaged
  // (with `mirror` too: ten views). 0: none.
  int shift = 0;
};

struct EvalResult {
  Metrics metrics;
  int64_t files = 0;      // scored
  int64_t unknown = 0;    // files whose label the model does not know (left out, listed in the log)
  std::vector<std::pair<std::string, std::string>> predictions;  // (file, predicted label) per scored file
  std::vector<std::vector<float>> probabilities;  // per scored file, the first model's classes in its order
  // {"runs", "data", "part", "mirror", "shift", "files", "left_out", "metrics", "predictions": [{file, truth, predicted}]}
  std::string json;
  ExperimentConfig config;  // the first run's, with --data-root applied: how the files were found and read
};

// The test-time views of `options` in words ("each image scored in 10
// views (...) and the views averaged"), or empty for the image alone: the
// console and `ser eval --report` say the same.
std::string describe_views(const EvalOptions& options);

// Several runs: each model reads the files through its own feature recipe
// and scaling, their class probabilities (lined up by class name) are
// averaged and the largest wins. Throws std::runtime_error when the models'
// classes differ or a model could not read a file the first one scores.
// In a job of several ranks (every rank calls it) the files' features and
// the model's batches are shared out; every rank gets the same result.
EvalResult evaluate_runs(const std::vector<std::string>& run_dirs, const EvalOptions& options, std::ostream& log,
                         const Communicator& comm = {});

}  // namespace ser::experiments
