#pragma once
// Temporal smoothing for video: a face's class probabilities averaged over
// its last N frames, since per-frame labels flicker. Faces are matched
// across frames by box overlap (greedy, the best overlap first, at least
// `min_iou`); a face that finds no match starts a new track, and a track
// not seen in a frame ends.

#include <cstdint>
#include <deque>
#include <vector>

#include "vision/box.hpp"

namespace ser::vision {

class FaceTracker {
 public:
  explicit FaceTracker(int window, double min_iou = 0.3);

  struct Smoothed {
    int64_t track = 0;               // the face's track number, stable across frames
    std::vector<float> probabilities;  // the mean over the track's last `window` frames
    int frames = 0;                  // how many frames that mean covers
  };
  // This frame's faces (boxes and per-frame probabilities, in the same order) -> smoothed, in the same order.
  std::vector<Smoothed> update(const std::vector<Box>& boxes, const std::vector<std::vector<float>>& probabilities);

 private:
  struct Track {
    int64_t id;
    Box box;
    std::deque<std::vector<float>> recent;
  };
  int window_;
  double min_iou_;
  int64_t next_id_ = 0;
  std::vector<Track> tracks_;
  std::vector<int> match(const std::vector<Box>& boxes) const;
};

}  // namespace ser::vision
