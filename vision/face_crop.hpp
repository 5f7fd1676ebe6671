#pragma once
// A face as the FER2013 training images were made: grayscale, the face's
// box resized to the model's input (48 x 48), values in [0, 1] as ser's
// image loader scales the training pixels (v / 255).

#include <opencv2/core.hpp>

#include <vector>

#include "vision/box.hpp"

namespace ser::vision {

// BGR or grayscale 8-bit frame -> grayscale.
cv::Mat to_gray(const cv::Mat& frame);

// The box (clipped to the frame) of a grayscale frame, resized to h x w
// (pixel areas averaged when shrinking, bilinear when growing), as floats v / 255.
std::vector<float> face_input(const cv::Mat& gray, const Box& box, int h, int w);

}  // namespace ser::vision
