#pragma once
// A face's box in frame pixels, and how much two boxes overlap.

#include <algorithm>

namespace ser::vision {

struct Box {
  int x = 0, y = 0, width = 0, height = 0;
  int area() const { return width * height; }
};

// Intersection over union: 0 for disjoint boxes, 1 for equal ones.
inline double iou(const Box& a, const Box& b) {
  const int x0 = std::max(a.x, b.x), y0 = std::max(a.y, b.y);
  const int x1 = std::min(a.x + a.width, b.x + b.width), y1 = std::min(a.y + a.height, b.y + b.height);
  const double inter = static_cast<double>(std::max(0, x1 - x0)) * std::max(0, y1 - y0);
  const double uni = static_cast<double>(a.area()) + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0;
}

}  // namespace ser::vision
