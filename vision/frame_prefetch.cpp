#include "vision/frame_prefetch.hpp"

namespace ser::vision {

FramePrefetch::FramePrefetch(FrameSource& source, size_t ahead)
    : source_(source), ahead_(ahead), thread_([this] { run(); }) {}

FramePrefetch::~FramePrefetch() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void FramePrefetch::run() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] { return stop_ || ready_.size() < ahead_; });
      if (stop_) return;
    }
    Frame frame;
    bool more = false;
    std::exception_ptr error;
    try {
      more = source_.next(frame);
    } catch (...) {
      error = std::current_exception();
    }
    std::lock_guard lock(mutex_);
    if (more) ready_.push_back(std::move(frame));
    if (!more || error) {
      done_ = true;
      error_ = error;
      changed_.notify_all();
      return;
    }
    changed_.notify_all();
  }
}

bool FramePrefetch::next(Frame& frame) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return !ready_.empty() || done_; });
  if (!ready_.empty()) {
    frame = std::move(ready_.front());
    ready_.pop_front();
    changed_.notify_all();
    return true;
  }
  if (error_) std::rethrow_exception(error_);
  return false;
}

}  // namespace ser::vision
