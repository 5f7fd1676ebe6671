#include "nn/threads/cpu_wait.hpp"

#include <fcntl.h>
#include <omp.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace ser::nn {

CpuWaitClock::CpuWaitClock(int threads) {
  std::vector<pid_t> tids(static_cast<size_t>(std::max(threads, 1)), 0);
#pragma omp parallel num_threads(threads)
  tids[static_cast<size_t>(omp_get_thread_num())] = gettid();
  for (pid_t tid : tids) {
    if (tid == 0) continue;  // a smaller team than asked for
    const std::string path = "/proc/self/task/" + std::to_string(tid) + "/schedstat";
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) fds_.push_back(fd);
  }
  if (!fds_.empty() && waited_seconds() < 0) {  // unreadable: behave as unavailable
    for (int fd : fds_) ::close(fd);
    fds_.clear();
  }
}

CpuWaitClock::~CpuWaitClock() {
  for (int fd : fds_) ::close(fd);
}

double CpuWaitClock::waited_seconds() const {
  double total = 0;
  for (int fd : fds_) {
    char buf[96];
    const ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
    if (n <= 0) return -1;
    buf[n] = '\0';
    // "<cpu time ns> <run-queue wait ns> <timeslices>"
    char* end = nullptr;
    std::strtoull(buf, &end, 10);
    const unsigned long long wait_ns = std::strtoull(end, nullptr, 10);
    total += static_cast<double>(wait_ns) * 1e-9;
  }
  return total;
}

double machine_idle_seconds() {
  FILE* f = std::fopen("/proc/stat", "r");
  if (!f) return -1;
  unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0;
  const int n = std::fscanf(f, "cpu %llu %llu %llu %llu %llu", &user, &nice, &system, &idle, &iowait);
  std::fclose(f);
  const long tick = sysconf(_SC_CLK_TCK);
  if (n != 5 || tick <= 0) return -1;
  return static_cast<double>(idle + iowait) / static_cast<double>(tick);
}

}  // namespace ser::nn
