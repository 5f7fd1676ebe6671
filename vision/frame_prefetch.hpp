#pragma once
// Frames decoded ahead on a thread of their own, so decoding the next frames
// overlaps detecting and classifying this one. The frames, and an error
// where the source raised it, arrive in the source's order.

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "vision/frame_source.hpp"

namespace ser::vision {

class FramePrefetch {
 public:
  // Takes the source over; up to `ahead` frames wait decoded.
  explicit FramePrefetch(FrameSource& source, size_t ahead = 4);
  ~FramePrefetch();
  FramePrefetch(const FramePrefetch&) = delete;
  FramePrefetch& operator=(const FramePrefetch&) = delete;

  // As FrameSource::next: false at the end, the source's error rethrown in its place.
  bool next(Frame& frame);

 private:
  void run();
  FrameSource& source_;
  size_t ahead_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Frame> ready_;
  bool done_ = false, stop_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace ser::vision
