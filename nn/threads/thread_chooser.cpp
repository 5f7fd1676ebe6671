#include "nn/threads/thread_chooser.hpp"

#include <algorithm>
#include <numeric>

namespace ser::nn {

ThreadChooser::ThreadChooser(int max_threads, std::function<double()> waited_clock,
                             std::function<double()> idle_clock, ThreadChooserOptions options)
    : opt_(options),
      current_(std::max(max_threads, 1)),
      interval_(options.first_interval),
      waited_clock_(std::move(waited_clock)),
      idle_clock_(std::move(idle_clock)) {
  for (int n = current_; n >= 1; n /= 2) candidates_.push_back(n);
  if (candidates_.back() != 1) candidates_.push_back(1);
  mean_.assign(candidates_.size(), -1.0);
  timed_at_.assign(candidates_.size(), 0.0);
  window_waited_from_ = waited_now();
  idle_from_ = idle_clock_ ? idle_clock_() : 0.0;
}

// Whether the machine had half a core or more idle since the last look
// (looked at once per stale interval: seconds, so the 10 ms tick of
// /proc/stat averages out).
bool ThreadChooser::cores_were_idle() {
  if (!idle_clock_) return true;
  const double idle = idle_clock_(), span = clock_ - idle_clock_from_;
  const bool was_idle = idle < 0 || idle - idle_from_ >= opt_.idle_cores_to_grow * span;
  idle_from_ = idle;
  idle_clock_from_ = clock_;
  return was_idle;
}

double ThreadChooser::waited_now() const { return waited_clock_ ? waited_clock_() : 0.0; }

void ThreadChooser::record(double seconds) {
  if (candidates_.size() == 1) return;
  clock_ += seconds;
  window_.push_back(seconds);
  const double total = std::accumulate(window_.begin(), window_.end(), 0.0);
  const int n = static_cast<int>(window_.size());
  if ((n < opt_.min_window_steps || total < opt_.window_seconds) && n < opt_.max_window_steps) return;
  const bool drop_first = changed_ && n >= 3;
  mean_[current_index_] = (total - (drop_first ? window_.front() : 0.0)) / (drop_first ? n - 1 : n);
  timed_at_[current_index_] = clock_;
  const double now = waited_now();
  const bool busy = now - window_waited_from_ > opt_.busy_wait_share * total * current_;
  window_.clear();
  window_waited_from_ = now;
  changed_ = false;
  decide(busy);
}

// After a window at current_: stay on every core while the machine is quiet;
// otherwise time a count whose time is stale, or take the fastest.
void ThreadChooser::decide(bool busy) {
  if (current_index_ == 0 && !busy && !exploring_) {
    chosen_index_ = 0;
    return;
  }
  // A larger count than the chosen one is timed again only if cores sat
  // idle meanwhile (checked once per stale interval).
  bool grow = true, grow_checked = false;
  for (size_t i = 0; i < candidates_.size(); ++i) {
    const bool stale = mean_[i] < 0 || clock_ - timed_at_[i] >= interval_;
    if (stale && mean_[i] >= 0 && i < chosen_index_ && !exploring_) {
      if (!grow_checked) grow = cores_were_idle(), grow_checked = true;
      if (!grow) {
        timed_at_[i] = clock_;  // not worth timing now; look again after an interval
        continue;
      }
    }
    if (i != current_index_ && i != chosen_index_ && stale) {
      if (!exploring_) ++comparisons_;
      exploring_ = true;
      switch_to(i);
      return;
    }
  }
  // Everything timed within the interval (the chosen count included, or it
  // would have been timed above): the fastest, with a margin for the one in use.
  size_t best = chosen_index_;
  for (size_t i = 0; i < candidates_.size(); ++i)
    if (mean_[i] >= 0 && (mean_[best] < 0 || mean_[i] < mean_[best] * (1.0 - opt_.margin))) best = i;
  if (exploring_) interval_ = best == chosen_index_ ? std::min(interval_ * 2, opt_.max_interval) : opt_.first_interval;
  exploring_ = false;
  chosen_index_ = best;
  switch_to(best);
}

void ThreadChooser::switch_to(size_t index) {
  changed_ = changed_ || index != current_index_;
  current_index_ = index;
  current_ = candidates_[index];
}

}  // namespace ser::nn
