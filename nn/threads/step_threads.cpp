#include "nn/threads/step_threads.hpp"

#include "common/thread_count.hpp"

namespace ser::nn {

StepThreads::StepThreads(int threads) {
  if (threads > 0) {
    fixed_ = threads;
    return;
  }
  const int max_threads = thread_count(0);
  fixed_ = max_threads;
  if (max_threads <= 1) return;
  clock_ = std::make_unique<CpuWaitClock>(max_threads);
  if (clock_->available())
    chooser_.emplace(max_threads, [clock = clock_.get()] { return clock->waited_seconds(); }, machine_idle_seconds);
  else  // no scheduler statistics: the machine never looks busy, so every core always
    chooser_.emplace(max_threads, nullptr);
}

StepThreads::Started StepThreads::begin() {
  const int n = threads();
  if (steps_at_.size() <= static_cast<size_t>(n)) steps_at_.resize(static_cast<size_t>(n) + 1, 0);
  ++steps_at_[static_cast<size_t>(n)];
  return {n, std::chrono::steady_clock::now()};
}

void StepThreads::end(const Started& s) {
  if (chooser_) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - s.t0).count();
    chooser_->record(seconds);
  }
}

std::string StepThreads::describe() const {
  std::string out;
  for (size_t n = steps_at_.size(); n-- > 1;) {
    if (steps_at_[n] == 0) continue;
    if (!out.empty()) out += ", ";
    out += std::to_string(n) + (n == 1 ? " thread: " : " threads: ") + std::to_string(steps_at_[n]) +
           (steps_at_[n] == 1 ? " step" : " steps");
  }
  return out;
}

}  // namespace ser::nn
