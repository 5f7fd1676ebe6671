#pragma once
// Runs training and inference steps on a fixed thread count, or on the
// count a ThreadChooser picks from how the steps go (threads = 0, the
// default everywhere). The step is handed the count (step(n)) and passes it
// on to the ops and the optimiser; OpenMP's process-wide setting is never
// touched.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nn/threads/cpu_wait.hpp"
#include "nn/threads/thread_chooser.hpp"

namespace ser::nn {

class StepThreads {
 public:
  // threads > 0: exactly that many. 0: up to every core OpenMP has
  // (thread_count(0)), fewer while the machine is busy.
  explicit StepThreads(int threads);

  template <typename Step>
  auto run(Step&& step) {
    const Started s = begin();
    auto result = step(s.threads);
    end(s);
    return result;
  }

  bool adaptive() const { return chooser_.has_value(); }
  int threads() const { return chooser_ ? chooser_->threads() : fixed_; }
  const ThreadChooser* chooser() const { return chooser_ ? &*chooser_ : nullptr; }
  // How many steps ran at each thread count (index = count).
  const std::vector<int64_t>& steps_at() const { return steps_at_; }
  // "2 threads: 1200 steps, 1 thread: 40 steps" (largest count first).
  std::string describe() const;

 private:
  struct Started {
    int threads;
    std::chrono::steady_clock::time_point t0;
  };
  Started begin();
  void end(const Started& s);

  int fixed_ = 0;
  std::optional<ThreadChooser> chooser_;
  std::unique_ptr<CpuWaitClock> clock_;
  std::vector<int64_t> steps_at_;
};

}  // namespace ser::nn
