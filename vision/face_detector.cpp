#include "vision/face_detector.hpp"

#include <algorithm>
#include <filesystem>

#include "vision/vision_error.hpp"

namespace ser::vision {

void DetectorOptions::register_settings(Settings& s) {
  s.number("scale_factor", scale_factor, 1.01, 2.0, "how much the image shrinks between detection scales");
  s.integer("min_neighbors", min_neighbors, 0, 100, "overlapping detections a face needs to be kept");
  s.integer("min_size", min_size, 1, 10000, "the smallest face searched for").unit("pixels");
}

std::string default_cascade_path() {
  for (const char* p : {"/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml",
                        "/usr/local/share/opencv4/haarcascades/haarcascade_frontalface_default.xml",
                        "/usr/share/opencv/haarcascades/haarcascade_frontalface_default.xml"})
    if (std::filesystem::exists(p)) return p;
  return "";
}

FaceDetector::FaceDetector(const DetectorOptions& options) : options_(options) {
  path_ = options.cascade.empty() ? default_cascade_path() : options.cascade;
  if (path_.empty())
    throw VisionError("no face cascade found: install Debian's opencv-data (haarcascade_frontalface_default.xml) "
                      "or give one with --cascade");
  if (!std::filesystem::is_regular_file(path_)) throw VisionError(path_ + ": no such cascade file");
  bool loaded = false;
  try {
    loaded = cascade_.load(path_);
  } catch (const cv::Exception&) {
  }
  if (!loaded || cascade_.empty()) throw VisionError(path_ + ": not an OpenCV cascade classifier file");
}

std::vector<Box> FaceDetector::detect(const cv::Mat& gray) {
  std::vector<cv::Rect> found;
  cascade_.detectMultiScale(gray, found, options_.scale_factor, options_.min_neighbors, 0,
                            cv::Size(options_.min_size, options_.min_size));
  std::vector<Box> boxes;
  for (const cv::Rect& r : found) boxes.push_back({r.x, r.y, r.width, r.height});
  std::sort(boxes.begin(), boxes.end(), [](const Box& a, const Box& b) { return a.x != b.x ? a.x < b.x : a.y < b.y; });
  return boxes;
}

}  // namespace ser::vision
