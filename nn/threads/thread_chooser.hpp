#pragma once
// The thread count of each training or inference step when the user leaves
// it to ser (`threads: 0`). Steps are timed in windows (a few steps, at
// least 0.1 s); each count keeps the mean step time of its latest window.
// On a quiet machine every core runs every step. When the machine's other
// programs make ser's threads wait for a CPU, the other counts (max/2, ...,
// 1) are each given a window, the fastest is kept, and a count not timed
// for an interval is timed again (1 s of steps, doubling while the choice
// holds, up to 8 s) -- but a larger count only while the machine had a
// core's worth of idle time over the interval: with every core taken by
// ser and the other programs, trying more threads can only lose.
//
// Why not always every core: a step is a chain of parallel regions, each
// ending when its slowest thread does. A thread that shares its core with
// another program is off the CPU for whole scheduler slices (milliseconds),
// longer than many regions, so two threads can run a step at half the speed
// of one (the TESS CNN did, beside one busy loop, while the FER CNN still
// gained from two: bench/README.md). Which count wins
// depends on the model and the load, so it is measured, not guessed.
// Results do not depend on the choice: every kernel gives the same bits on
// any thread count (test_thread_count).
//
// The policy is pure: record() takes each step's duration, and the run-queue
// wait comes from a clock it reads once per window (a /proc read costs
// microseconds, a batch-1 prediction about a hundred), so tests drive it
// with made-up timings.

#include <cstddef>
#include <functional>
#include <vector>

namespace ser::nn {

struct ThreadChooserOptions {
  // Run-queue wait per thread per second of step above which the machine is
  // busy: 5% (quiet, this VM's daemons cost well under 1%).
  double busy_wait_share = 0.05;
  // A window: at least min_window_steps steps and window_seconds, or
  // max_window_steps. The first step after a change of count is left out
  // when there are three or more (it wakes threads and caches).
  double window_seconds = 0.05;
  int min_window_steps = 2;
  int max_window_steps = 12;
  // Seconds of steps after which a count's time is stale while the machine
  // is busy: from first_interval, doubled each time timing the others
  // keeps the choice, up to max_interval.
  double first_interval = 1.0;
  double max_interval = 8.0;
  // Another count replaces the chosen one when faster by this share.
  double margin = 0.03;
  // Idle cores over an interval from which a larger count is worth timing.
  double idle_cores_to_grow = 0.5;
};

class ThreadChooser {
 public:
  // `waited_clock`: seconds the team's threads have waited for a CPU so far
  // (CpuWaitClock::waited_seconds); `idle_clock`: seconds the machine's CPUs
  // have been idle (machine_idle_seconds). Either may be null (unknown: never
  // busy; always worth growing).
  ThreadChooser(int max_threads, std::function<double()> waited_clock, std::function<double()> idle_clock = nullptr,
                ThreadChooserOptions options = {});

  int threads() const { return current_; }  // for the next step
  // The step just run at threads() took `seconds`.
  void record(double seconds);

  int comparisons() const { return comparisons_; }  // windows spent timing another count
  const std::vector<int>& candidates() const { return candidates_; }

 private:
  double waited_now() const;
  bool cores_were_idle();
  void decide(bool busy);
  void switch_to(size_t index);

  ThreadChooserOptions opt_;
  std::vector<int> candidates_;  // max, max/2, ..., 1
  std::vector<double> mean_;     // per candidate: mean step seconds of its latest window (< 0: never timed)
  std::vector<double> timed_at_;  // per candidate: clock_ when that window ended
  size_t current_index_ = 0, chosen_index_ = 0;
  int current_;
  bool exploring_ = false, changed_ = false;
  double clock_ = 0;  // seconds of steps recorded so far
  double interval_;
  int comparisons_ = 0;
  std::function<double()> waited_clock_, idle_clock_;
  double idle_from_ = 0, idle_clock_from_ = 0;  // idle_clock_ and clock_ when the idle interval began
  std::vector<double> window_;  // step seconds of the current window
  double window_waited_from_ = 0;  // waited_clock_ when it began
};

}  // namespace ser::nn
