#pragma once
// How long this process's OpenMP threads have waited for a CPU: the kernel's
// run-queue delay of each thread (the second field of
// /proc/self/task/<tid>/schedstat, in nanoseconds). Time a thread spends
// runnable but not running is the direct measure of a busy machine: on a
// quiet one it stays near zero whatever the thread count, while another
// program on a core shows up in it at once. Sleeping and spin-waiting are
// not counted.

#include <vector>

namespace ser::nn {

class CpuWaitClock {
 public:
  // Finds the threads of an OpenMP team of `threads` (libgomp keeps its
  // threads between regions) and opens their schedstat files.
  explicit CpuWaitClock(int threads);
  ~CpuWaitClock();
  CpuWaitClock(const CpuWaitClock&) = delete;
  CpuWaitClock& operator=(const CpuWaitClock&) = delete;

  // False where the kernel keeps no scheduler statistics (no /proc, or a
  // kernel without CONFIG_SCHED_INFO): waited_seconds() then stays 0.
  bool available() const { return !fds_.empty(); }
  // Total run-queue time of the team's threads since they started.
  double waited_seconds() const;

 private:
  std::vector<int> fds_;
};

// Seconds all CPUs of the machine have been idle since boot (idle + iowait
// of /proc/stat's first line), or a negative value where unreadable. Over a
// second, the difference says how many cores nobody used: whether more
// threads could have run at all. Its unit is the kernel tick (10 ms here),
// fine over the seconds the chooser looks at it.
double machine_idle_seconds();

}  // namespace ser::nn
