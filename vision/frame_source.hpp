#pragma once
// Frames from what a user points ser at: an image file (any format OpenCV
// reads, told by its content), a folder of images (sorted by name; a file
// that does not decode is reported and skipped), a video file, or a camera
// (any device cv::VideoCapture opens). Video and camera share one path, so
// testing it with a video file tests the camera's too.

#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ser::vision {

enum class SourceKind { image, folder, video, camera };

struct Frame {
  cv::Mat image;        // BGR, 8 bits
  int64_t index = 0;    // from 0
  double seconds = 0;   // the frame's time in the video (0 for still images)
  std::string name;     // the image file, or the video's or camera's name
};

class FrameSource {
 public:
  // An image, a folder of images or a video file. Throws VisionError naming
  // `path` when it is none of them.
  static FrameSource open(const std::string& path);
  // Camera `index`; throws VisionError when it cannot be opened.
  static FrameSource camera(int index);

  // The next frame; false at the end. A video frame that cannot be decoded
  // before the end the container announces throws VisionError naming it.
  bool next(Frame& frame);

  SourceKind kind() const { return kind_; }
  const std::string& name() const { return name_; }
  double fps() const { return fps_; }                   // 0 for still images
  int64_t frame_count() const { return frame_count_; }  // -1 when unknown (a camera)
  // Files of a folder that did not decode, with why (reported, not fatal).
  const std::vector<std::string>& skipped() const { return skipped_; }

 private:
  SourceKind kind_ = SourceKind::image;
  std::string name_;
  std::vector<std::string> files_;  // image or folder
  std::unique_ptr<cv::VideoCapture> capture_;
  double fps_ = 0;
  int64_t frame_count_ = -1, next_ = 0;
  std::vector<std::string> skipped_;
};

// Whether OpenCV can decode `path` as an image (by its first bytes).
bool is_image_file(const std::string& path);

}  // namespace ser::vision
