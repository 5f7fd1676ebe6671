#pragma once
// Faces in a frame with OpenCV's Haar cascade, as the published
// TestEmotionDetector.py finds them (haarcascade_frontalface_default.xml,
// scaleFactor 1.3, minNeighbors 5).

#include <opencv2/core.hpp>
#include <opencv2/objdetect.hpp>

#include <string>
#include <vector>

#include "common/settings.hpp"
#include "vision/box.hpp"

namespace ser::vision {

struct DetectorOptions {
  std::string cascade;  // empty: the frontal-face cascade where Debian's opencv-data puts it
  double scale_factor = 1.3;
  int min_neighbors = 5;
  int min_size = 30;  // pixels; smaller faces carry too little for a 48 x 48 classifier
  void register_settings(Settings& s);  // the numbers; the cascade is a path, given by --cascade
};

// Where Debian (opencv-data) and a source build of OpenCV put the default cascade.
std::string default_cascade_path();

class FaceDetector {
 public:
  // Throws VisionError naming the cascade file when it is missing or not a cascade.
  explicit FaceDetector(const DetectorOptions& options);
  // Boxes of the faces in a grayscale frame, left to right, then top to bottom.
  std::vector<Box> detect(const cv::Mat& gray);
  const std::string& cascade_path() const { return path_; }

 private:
  DetectorOptions options_;
  std::string path_;
  cv::CascadeClassifier cascade_;
};

}  // namespace ser::vision
