#include "vision/face_tracker.hpp"

#include <algorithm>
#include <stdexcept>
#include <tuple>

namespace ser::vision {

FaceTracker::FaceTracker(int window, double min_iou) : window_(window), min_iou_(min_iou) {
  if (window < 1) throw std::invalid_argument("smoothing window must be at least 1 frame");
}

// For each box, the index of the track it continues, or -1.
std::vector<int> FaceTracker::match(const std::vector<Box>& boxes) const {
  std::vector<std::tuple<double, int, int>> pairs;  // (overlap, box, track)
  for (size_t b = 0; b < boxes.size(); ++b)
    for (size_t t = 0; t < tracks_.size(); ++t)
      if (const double o = iou(boxes[b], tracks_[t].box); o >= min_iou_)
        pairs.emplace_back(o, static_cast<int>(b), static_cast<int>(t));
  std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return std::get<0>(a) > std::get<0>(b); });
  std::vector<int> of_box(boxes.size(), -1);
  std::vector<bool> taken(tracks_.size(), false);
  for (const auto& [o, b, t] : pairs)
    if (of_box[static_cast<size_t>(b)] < 0 && !taken[static_cast<size_t>(t)]) {
      of_box[static_cast<size_t>(b)] = t;
      taken[static_cast<size_t>(t)] = true;
    }
  return of_box;
}

std::vector<FaceTracker::Smoothed> FaceTracker::update(const std::vector<Box>& boxes,
                                                       const std::vector<std::vector<float>>& probabilities) {
  if (boxes.size() != probabilities.size()) throw std::invalid_argument("FaceTracker: one probability row per box");
  const std::vector<int> of_box = match(boxes);
  std::vector<Track> next;
  std::vector<Smoothed> out;
  for (size_t b = 0; b < boxes.size(); ++b) {
    Track t = of_box[b] >= 0 ? std::move(tracks_[static_cast<size_t>(of_box[b])]) : Track{next_id_++, {}, {}};
    t.box = boxes[b];
    t.recent.push_back(probabilities[b]);
    while (static_cast<int>(t.recent.size()) > window_) t.recent.pop_front();
    Smoothed s{t.id, std::vector<float>(probabilities[b].size(), 0.0f), static_cast<int>(t.recent.size())};
    for (const auto& p : t.recent)
      for (size_t c = 0; c < p.size(); ++c) s.probabilities[c] += p[c] / static_cast<float>(t.recent.size());
    out.push_back(std::move(s));
    next.push_back(std::move(t));
  }
  tracks_ = std::move(next);
  return out;
}

}  // namespace ser::vision
