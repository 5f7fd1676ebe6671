#pragma once
// `ser train`: one experiment config in, one run directory out.
//
//   RUN/config.yaml      the config file as given; RUN/run.json records the
//                        overrides, git commit, seed, threads, machine and versions;
//                        with overrides, RUN/config.resolved.yaml has them applied
//   RUN/history.csv      per epoch: train loss and accuracy, validation loss and
//                        accuracy, learning rate, seconds
//   RUN/metrics.json     test (and validation) metrics of the model kept
//   RUN/timings.json     wall times, apart so metrics.json compares byte for byte
//   RUN/model.sermodel   the model kept (best on validation when there is one)
//
// Same config, seed and threads give the same metrics.json, bit for bit.

#include <ostream>
#include <string>

#include <stdexcept>
#include <vector>

#include "common/communicator.hpp"
#include "datasets/split.hpp"
#include "experiments/config.hpp"
#include "experiments/run_folder.hpp"

namespace ser::experiments {

// Training that went wrong (a loss or weight that is NaN or infinite); the
// message names the epoch (and batch) and what to try.
class TrainingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TrainResult {
  std::string run_dir;
  double test_accuracy = 0, test_macro_f1 = 0;
  double seconds = 0;                   // wall time of the whole run, features included
  std::vector<std::string> test_files;  // the files of the test split (one split; empty for k-fold)
  std::vector<int64_t> steps_at_threads;  // training steps run at each thread count (index = count)
};

// The config's split of `corpus`. Augmented copies stay with their source,
// unless augmentation.split_rows asks for the leaky row-wise split.
datasets::Split split_for(const ExperimentConfig& config, const datasets::Corpus& corpus);

// `cache_dir`: where extracted features are kept (empty: RUN/../cache).
// Every training.checkpoint_every epochs RUN/checkpoint.bin is written
// atomically; with RunStart::resume, training continues from it (after
// checking it against the config and the data: experiments/checkpoint.hpp),
// and the run ends with exactly the metrics of an uninterrupted one. The run
// folder is locked for the run's duration (experiments/run_folder.hpp).
// Throws TrainingError when training produces NaN or infinity.
// In a job of several ranks every rank calls it: rank 0 owns the run
// folder, the ranks share the feature extraction and the folds.
TrainResult train_experiment(const ExperimentConfig& config, const std::string& run_dir, std::ostream& log,
                             const std::string& cache_dir = "", RunStart start = RunStart::fresh,
                             const Communicator& comm = {});

// The config of a run directory with the overrides its run.json records
// (throws, naming DIR, when it is not a run directory).
ExperimentConfig load_run_config(const std::string& run_dir, const std::string& data_dir);

// `ser resume DIR`: the config and overrides recorded in DIR, resumed from its checkpoint.
TrainResult resume_experiment(const std::string& run_dir, std::ostream& log, const std::string& data_dir,
                              const std::string& cache_dir = "", const Communicator& comm = {});

}  // namespace ser::experiments
