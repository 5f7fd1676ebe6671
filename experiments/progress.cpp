#include "experiments/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace ser::experiments {

ProgressBar::ProgressBar(std::string what, bool plain_lines)
    : what_(std::move(what)),
      terminal_(::isatty(STDERR_FILENO) == 1),
      plain_lines_(plain_lines),
      start_(std::chrono::steady_clock::now()) {}

void ProgressBar::update(int64_t done, int64_t total, const std::string& detail) {
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  if (total <= 0 || hidden_) return;
  if (terminal_) {
    if (drawn_ && done < total && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    drawn_ = true;
    const int width = 30, filled = static_cast<int>(width * done / total);
    const double eta = done > 0 ? elapsed * static_cast<double>(total - done) / static_cast<double>(done) : 0.0;
    std::fprintf(stderr, "\r%s [%s%s] %lld/%lld  %s%s%.1f s, ETA %.1f s \033[K", what_.c_str(),
                 std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(),
                 static_cast<long long>(done), static_cast<long long>(total), detail.c_str(),
                 detail.empty() ? "" : "  ", elapsed, eta);
  } else if (plain_lines_) {
    const int64_t quarter = 4 * done / total;
    if (quarter == last_quarter_) return;
    last_quarter_ = quarter;
    std::fprintf(stderr, "%s: %lld/%lld (%.1f s)\n", what_.c_str(), static_cast<long long>(done),
                 static_cast<long long>(total), elapsed);
  }
}

void ProgressBar::finish() {
  if (terminal_ && drawn_) std::fprintf(stderr, "\r\033[K");  // the caller's summary line takes its place
  drawn_ = false;
}

}  // namespace ser::experiments
