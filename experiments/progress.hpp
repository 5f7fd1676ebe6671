#pragma once
// A progress bar on a terminal, plain lines elsewhere (logs, CI).

#include <chrono>
#include <cstdint>
#include <string>

namespace ser::experiments {

class ProgressBar {
 public:
  explicit ProgressBar(std::string what);
  // At most ~10 redraws a second on a terminal; a line per 25% otherwise.
  void update(int64_t done, int64_t total);
  void finish();

 private:
  std::string what_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_, last_;
  int64_t last_quarter_ = -1;
  bool drawn_ = false;
};

}  // namespace ser::experiments
