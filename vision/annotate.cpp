#include "vision/annotate.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdio>

namespace ser::vision {

void draw_face(cv::Mat& frame, const Box& box, const std::string& label, double probability) {
  const cv::Rect r(box.x, box.y, box.width, box.height);
  const int thickness = std::max(2, frame.cols / 320);
  cv::rectangle(frame, r, cv::Scalar(0, 255, 0), thickness);
  char text[96];
  std::snprintf(text, sizeof(text), "%s %.2f", label.c_str(), probability);
  const double scale = std::max(0.5, box.width / 160.0);
  int baseline = 0;
  const cv::Size size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, scale, thickness, &baseline);
  // Above the box, or inside its top when the box touches the frame's top.
  const int y = box.y - 6 >= size.height ? box.y - 6 : box.y + size.height + 6;
  cv::putText(frame, text, cv::Point(box.x, y), cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(255, 0, 0), thickness,
              cv::LINE_AA);
}

}  // namespace ser::vision
