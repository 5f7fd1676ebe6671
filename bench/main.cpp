// ser_bench's main: Google Benchmark's, plus two things of ours.
//   --contention   run every item beside another program's busy loop on one
//                  core (a forked child that spins until ser_bench ends), as
//                  on a laptop with a browser open or a shared server.
// The machine's FMA peak is measured first, on a quiet machine, so that the
// items' `peak` fractions compare against the same figure with or without
// --contention.
#include <benchmark/benchmark.h>
#include <omp.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstring>
#include <vector>

#include "machine.hpp"

int main(int argc, char** argv) {
  bool contention = false;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--contention") == 0) {
      contention = true;
      continue;
    }
    args.push_back(argv[i]);
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  const int cores = omp_get_max_threads();
  const double peak1 = ser::bench::fma_peak_gflops(1), peak = ser::bench::fma_peak_gflops(cores);
  benchmark::AddCustomContext("fma_peak_gflops", std::to_string(peak) + " on " + std::to_string(cores) +
                                                     " threads, " + std::to_string(peak1) + " on 1");
  int busy = 0;
  if (contention) {
    busy = ser::bench::start_busy_loop();
    benchmark::AddCustomContext("contention", "another process spins on one core (pid " + std::to_string(busy) + ")");
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (busy > 0) {
    kill(busy, SIGKILL);
    waitpid(busy, nullptr, 0);
  }
  return 0;
}
