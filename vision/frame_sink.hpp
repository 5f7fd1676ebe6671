#pragma once
// Where annotated frames go (--out): an image file for one image, a folder
// for a folder of images (each under its own name), a video file for a
// video or a camera (.avi as Motion JPEG, .mp4/.m4v/.mov as MPEG-4 part 2,
// the codecs Debian's OpenCV writes without extra packages). Every file
// appears whole or not at all: it is written beside its place and renamed
// there when done; a video cut short by a bad frame keeps the frames
// before it.

#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "vision/frame_source.hpp"

namespace ser::vision {

class FrameSink {
 public:
  // Throws VisionError when `path` does not suit the source (a video into
  // an image file, a folder into a file) or its extension has no writer.
  FrameSink(std::string path, SourceKind source, double fps);
  ~FrameSink();
  FrameSink(const FrameSink&) = delete;
  FrameSink& operator=(const FrameSink&) = delete;

  void write(const Frame& annotated);
  // Finishes the video (or nothing) and moves it into place.
  void close();
  int64_t frames_written() const { return written_; }

 private:
  std::string path_, partial_;
  SourceKind source_;
  double fps_;
  std::unique_ptr<cv::VideoWriter> video_;
  int64_t written_ = 0;
  bool closed_ = false;
};

}  // namespace ser::vision
