#include "experiments/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace ser::experiments {

ProgressBar::ProgressBar(std::string what)
    : what_(std::move(what)), terminal_(::isatty(STDERR_FILENO) == 1), start_(std::chrono::steady_clock::now()) {}

void ProgressBar::update(int64_t done, int64_t total) {
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  if (total <= 0) return;
  if (terminal_) {
    if (drawn_ && done < total && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    drawn_ = true;
    const int width = 30, filled = static_cast<int>(width * done / total);
    const double eta = done > 0 ? elapsed * static_cast<double>(total - done) / static_cast<double>(done) : 0.0;
    std::fprintf(stderr, "\r%s [%s%s] %lld/%lld  %.1f s, ETA %.1f s ", what_.c_str(), std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), static_cast<long long>(done), static_cast<long long>(total),
                 elapsed, eta);
  } else {
    const int64_t quarter = 4 * done / total;
    if (quarter == last_quarter_) return;
    last_quarter_ = quarter;
    std::fprintf(stderr, "%s: %lld/%lld (%.1f s)\n", what_.c_str(), static_cast<long long>(done),
                 static_cast<long long>(total), elapsed);
  }
}

void ProgressBar::finish() {
  if (terminal_ && drawn_) std::fprintf(stderr, "\n");
}

}  // namespace ser::experiments
