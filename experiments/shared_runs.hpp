#pragma once
// Whole runs shared over the ranks of a job: the runs of a sweep
// (`ser compare`) and the folds of a k-fold or leave-one-speaker-out run.
// Each run is exactly the run one process makes (same metrics.json); ranks
// take the next run as they become free, and rank 0 learns every result.

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "common/communicator.hpp"
#include "experiments/runner.hpp"

namespace ser::experiments {

struct SharedRun {
  std::string title;  // what the log calls it ("fold_02 of 5 (test: 03)")
  std::string dir;    // its run folder
  // Trains it (or reads what it already finished), writing its log to `log`.
  std::function<TrainResult(std::ostream& log)> train;
};

// Every rank calls it with the same runs. One process: the runs in order,
// each titled in `log`. Several ranks: each run's log goes to "<dir>.log"
// and rank 0 writes a line to `log` as each starts and ends. `finished`
// runs on rank 0 as each run ends (one at a time). Returns on rank 0 every
// run's result in order (test scores, seconds, steps per thread count);
// elsewhere an empty list.
std::vector<TrainResult> run_shared(const Communicator& comm, const std::vector<SharedRun>& runs, std::ostream& log,
                                    const std::function<void(size_t, const TrainResult&)>& finished = {});

}  // namespace ser::experiments
