#pragma once
// A frame annotated as the published TestEmotionDetector.py draws it: a
// box around each face and, above it, the emotion with its probability.

#include <opencv2/core.hpp>

#include <string>

#include "vision/box.hpp"

namespace ser::vision {

void draw_face(cv::Mat& frame, const Box& box, const std::string& label, double probability);

}  // namespace ser::vision
