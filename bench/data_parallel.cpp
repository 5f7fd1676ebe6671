// ser_bench_mpi: data-parallel train_step of the four benchmark models
// (bench/model_cases.hpp), as a job of however many ranks started it
// (`mpirun -np N`, or alone: one rank). Per model, after 2 warm-up steps,
// the medians over --steps steps of: the whole step, the gradient exchange
// (StepShards::reduce_gradients: reduce-scatter, folds, all-gather), and
// the bytes each rank sends per step. Rank 0 prints one line per model.
// bench/data_parallel.sh runs it side by side on one process and on two
// over shared memory and TCP; figures in bench/README.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "common/communicator.hpp"
#include "model_cases.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/sequential.hpp"
#include "nn/step_shards.hpp"
#include "nn/train.hpp"

using namespace ser::nn;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

struct Options {
  int threads = 1, steps = 20, shards = 0;  // shards 0: one per rank (one process: the plain step)
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (key == "--threads") o.threads = value;
    else if (key == "--steps") o.steps = value;
    else if (key == "--shards") o.shards = value;
    else {
      std::fprintf(stderr, "usage: [mpirun -np N] ser_bench_mpi [--threads T] [--steps K] [--shards S]\n");
      std::exit(2);
    }
  }
  return o;
}

void run_model(const ser::bench::ModelCase& m, const Options& o, const ser::Communicator& world, const char* transport) {
  ser::Rng init(1), dropout(2);
  Sequential model(m.specs, m.input, init, m.name);
  Adam opt(model.parameter_tensors(), AdamOptions{});
  const Tensor x = ser::bench::random_batch(m.input, m.batch, 3);
  const auto y = ser::bench::cycling_targets(m.batch, m.classes);
  const int shards = o.shards > 0 ? o.shards : world.size();
  std::vector<double> step_ms, exchange_ms;
  int64_t bytes = 0;
  std::optional<StepShards> cut;
  StepOptions so;
  if (shards > 1) {
    cut.emplace(shards, world);
    so.shards = &*cut;
  }
  for (int i = 0; i < o.steps + 2; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    train_step(model, opt, x, y, dropout, o.threads, so);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (i < 2) continue;  // warm-up: buffers, packed weights
    step_ms.push_back(ms);
    exchange_ms.push_back(cut ? cut->reduce_seconds() * 1e3 : 0.0);
    bytes = cut ? cut->bytes_sent() : 0;
  }
  // The exchange alone: the same partials, every rank starting together
  // (in a step the exchange also waits for the slowest rank's backward).
  std::vector<double> alone_ms;
  for (int i = 0; i < (cut ? o.steps : 0); ++i) {
    cut->start(m.batch);
    for (Tensor p : model.parameter_tensors())
      for (int s = cut->first(); s < cut->last(); ++s) cut->partial(p.impl(), s);
    world.barrier();
    cut->reduce_gradients(model.parameter_tensors());
    alone_ms.push_back(cut->reduce_seconds() * 1e3);
  }
  if (world.is_root())
    std::printf("%-16s ranks %d  threads %d  shards %2d  %-4s  params %8lld  step %8.2f ms  in-step exchange %6.2f ms  "
                "exchange alone %6.2f ms  sent %6.3f MB/step  %7.1f samples/s\n",
                m.name, world.size(), o.threads, shards, transport, static_cast<long long>(model.trainable_count()),
                median(step_ms), median(exchange_ms), median(alone_ms), static_cast<double>(bytes) / 1e6,
                m.batch / (median(step_ms) / 1e3));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  ser::MpiSession mpi(argc, argv);
  const Options o = parse(argc, argv);
  const char* transport = std::getenv("SER_BENCH_TRANSPORT");
  for (const auto& m : ser::bench::models()) run_model(m, o, mpi.world(), transport ? transport : "-");
  return 0;
}
