#pragma once
// A progress bar on a terminal, plain lines elsewhere (logs, CI).

#include <chrono>
#include <cstdint>
#include <string>

namespace ser::experiments {

class ProgressBar {
 public:
  // plain_lines=false: nothing off a terminal (when the caller logs its own lines).
  explicit ProgressBar(std::string what, bool plain_lines = true);
  // At most ~10 redraws a second on a terminal; a line per 25% otherwise.
  // `detail` (for example the running loss and accuracy) follows the counts.
  void update(int64_t done, int64_t total, const std::string& detail = "");
  void finish();

  // Off for every bar of this process: the ranks of an MPI job other than
  // rank 0, whose progress rank 0 already shows. Set once, by main.
  static void hide_all() { hidden_ = true; }

 private:
  static inline bool hidden_ = false;
  std::string what_;
  bool terminal_, plain_lines_;
  std::chrono::steady_clock::time_point start_, last_;
  int64_t last_quarter_ = -1;
  bool drawn_ = false;
};

}  // namespace ser::experiments
