#include "vision/face_crop.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>

#include "vision/vision_error.hpp"

namespace ser::vision {

cv::Mat to_gray(const cv::Mat& frame) {
  if (frame.channels() == 1) return frame;
  cv::Mat gray;
  cv::cvtColor(frame, gray, frame.channels() == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
  return gray;
}

std::vector<float> face_input(const cv::Mat& gray, const Box& box, int h, int w) {
  const cv::Rect r = cv::Rect(box.x, box.y, box.width, box.height) & cv::Rect(0, 0, gray.cols, gray.rows);
  if (r.area() <= 0) throw VisionError("a face box lies outside its frame");
  cv::Mat face;
  const bool shrink = r.width >= w && r.height >= h;
  cv::resize(gray(r), face, cv::Size(w, h), 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
  std::vector<float> out(static_cast<size_t>(h) * static_cast<size_t>(w));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) out[static_cast<size_t>(y * w + x)] = face.at<uint8_t>(y, x) / 255.0f;
  return out;
}

}  // namespace ser::vision
