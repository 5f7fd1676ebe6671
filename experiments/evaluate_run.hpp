#pragma once
// `ser eval`: a finished run's model scored on every file of a data set of
// the same kind, for example held-out speakers kept in another folder.

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "experiments/metrics.hpp"

namespace ser::experiments {

struct EvalOptions {
  std::string data_root;  // empty: the roots the run trained on
  std::string cache_dir;  // empty: RUN/../../cache, the cache `ser train` used
  std::string data_dir;   // SER_DATA, for configs without roots
  int threads = 0;  // feature extraction and the model (0: the run's count)
};

struct EvalResult {
  Metrics metrics;
  int64_t files = 0;      // scored
  int64_t unknown = 0;    // files whose label the model does not know (left out, listed in the log)
  std::vector<std::pair<std::string, std::string>> predictions;  // (file, predicted label) per scored file
  std::string json;  // {"run", "data", "files", "left_out", "metrics", "predictions": [{file, truth, predicted}]}
};

EvalResult evaluate_run(const std::string& run_dir, const EvalOptions& options, std::ostream& log);

}  // namespace ser::experiments
