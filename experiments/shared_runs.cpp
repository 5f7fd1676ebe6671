#include "experiments/shared_runs.hpp"

#include <fstream>
#include <sstream>

#include "common/bytes.hpp"
#include "common/work_share.hpp"
#include "experiments/progress.hpp"

namespace ser::experiments {

namespace {
std::string encode(const TrainResult& r) {
  ByteWriter w;
  w.str(r.run_dir);
  w.pod<double>(r.test_accuracy);
  w.pod<double>(r.test_macro_f1);
  w.pod<double>(r.seconds);
  w.array<int64_t>(r.steps_at_threads);
  return w.bytes();
}

TrainResult decode(const std::string& bytes, int rank) {
  ByteReader in(bytes, "the result of a run on rank " + std::to_string(rank));
  TrainResult r;
  r.run_dir = in.str("run folder");
  r.test_accuracy = in.pod<double>("accuracy");
  r.test_macro_f1 = in.pod<double>("macro-F1");
  r.seconds = in.pod<double>("seconds");
  r.steps_at_threads = in.array<int64_t>("steps");
  return r;
}

TrainResult train_logged(const SharedRun& run, const Communicator& comm, std::ostream& log) {
  if (!comm.distributed()) return run.train(log);
  std::ofstream file(run.dir + ".log");
  if (!file) throw std::runtime_error("cannot write the log '" + run.dir + ".log'");
  return run.train(file);
}
}  // namespace

std::vector<TrainResult> run_shared(const Communicator& comm, const std::vector<SharedRun>& runs, std::ostream& log,
                                    const std::function<void(size_t, const TrainResult&)>& finished) {
  std::vector<TrainResult> results(runs.size());
  // Each run's log, its progress bars' place, is its own file; a line per run on rank 0 tells the job's progress.
  if (comm.distributed()) ProgressBar::hide_all();
  WorkEvents events;
  events.started = [&](size_t i, int rank) {
    log << "\n" << runs[i].title;
    if (comm.distributed()) log << ": rank " << rank << " (log: " << runs[i].dir << ".log)";
    log << "\n" << std::flush;
  };
  events.finished = [&](size_t i, int rank, const std::string& bytes) {
    results[i] = decode(bytes, rank);
    if (comm.distributed())
      log << runs[i].title << ": test accuracy " << results[i].test_accuracy << ", macro-F1 "
          << results[i].test_macro_f1 << " (rank " << rank << ", " << results[i].seconds << " s)\n" << std::flush;
    if (finished) finished(i, results[i]);
  };
  share_work(comm, runs.size(), [&](size_t i) { return encode(train_logged(runs[i], comm, log)); }, events);
  if (!comm.is_root()) results.clear();
  return results;
}

}  // namespace ser::experiments
