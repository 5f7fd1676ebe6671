#include "vision/frame_source.hpp"

#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <filesystem>

#include "vision/vision_error.hpp"

namespace ser::vision {

namespace fs = std::filesystem;

bool is_image_file(const std::string& path) {
  try {
    return fs::is_regular_file(path) && cv::haveImageReader(path);
  } catch (const cv::Exception&) {
    return false;
  }
}

namespace {
std::unique_ptr<cv::VideoCapture> open_video(const std::string& path) {
  auto cap = std::make_unique<cv::VideoCapture>();
  try {
    cap->open(path, cv::CAP_FFMPEG);
  } catch (const cv::Exception&) {
    return nullptr;
  }
  return cap->isOpened() ? std::move(cap) : nullptr;
}
}  // namespace

FrameSource FrameSource::open(const std::string& path) {
  FrameSource s;
  s.name_ = path;
  if (fs::is_directory(path)) {
    s.kind_ = SourceKind::folder;
    for (const auto& e : fs::directory_iterator(path))
      if (is_image_file(e.path().string())) s.files_.push_back(e.path().string());
    std::sort(s.files_.begin(), s.files_.end());
    if (s.files_.empty()) throw VisionError(path + ": a folder without an image OpenCV can read");
    s.frame_count_ = static_cast<int64_t>(s.files_.size());
    return s;
  }
  if (!fs::exists(path)) throw VisionError(path + ": no such file or folder");
  if (is_image_file(path)) {
    s.kind_ = SourceKind::image;
    s.files_ = {path};
    s.frame_count_ = 1;
    return s;
  }
  s.capture_ = open_video(path);
  if (!s.capture_)
    throw VisionError(path + ": neither an image nor a video OpenCV can read (give a JPEG, PNG, ... image, a folder "
                             "of them, a video file or --camera N)");
  s.kind_ = SourceKind::video;
  s.fps_ = s.capture_->get(cv::CAP_PROP_FPS);
  const double n = s.capture_->get(cv::CAP_PROP_FRAME_COUNT);
  s.frame_count_ = n > 0 ? static_cast<int64_t>(n) : -1;
  return s;
}

FrameSource FrameSource::camera(int index) {
  FrameSource s;
  s.kind_ = SourceKind::camera;
  s.name_ = "camera " + std::to_string(index);
  s.capture_ = std::make_unique<cv::VideoCapture>();
  try {
    s.capture_->open(index);
  } catch (const cv::Exception& e) {
    throw VisionError(s.name_ + ": cannot be opened (" + e.what() + ")");
  }
  if (!s.capture_->isOpened())
    throw VisionError(s.name_ + ": cannot be opened (no such device, or it is busy; /dev/video" +
                      std::to_string(index) + " on Linux)");
  s.fps_ = s.capture_->get(cv::CAP_PROP_FPS);
  return s;
}

bool FrameSource::next(Frame& frame) {
  frame.index = next_;
  if (capture_) {
    cv::Mat image;
    bool ok = false;
    try {
      ok = capture_->read(image);
    } catch (const cv::Exception&) {
      ok = false;
    }
    if (!ok || image.empty()) {
      if (kind_ == SourceKind::video && frame_count_ > 0 && next_ < frame_count_ - 1)
        throw VisionError(name_ + ": frame " + std::to_string(next_) + " of " + std::to_string(frame_count_) +
                          " could not be decoded (a truncated or damaged video?); " + std::to_string(next_) +
                          " frames were processed");
      if (kind_ == SourceKind::camera && next_ == 0) throw VisionError(name_ + ": opened but gave no frame");
      return false;
    }
    frame.image = image;
    frame.name = name_;
    frame.seconds = fps_ > 0 ? static_cast<double>(next_) / fps_ : 0.0;
    ++next_;
    return true;
  }
  while (next_ < static_cast<int64_t>(files_.size())) {
    const std::string& file = files_[static_cast<size_t>(next_++)];
    cv::Mat image;
    try {
      image = cv::imread(file, cv::IMREAD_COLOR);
    } catch (const cv::Exception&) {
    }
    if (image.empty()) {
      if (kind_ == SourceKind::image) throw VisionError(file + ": the image could not be decoded");
      skipped_.push_back(file + ": the image could not be decoded");
      continue;
    }
    frame.image = image;
    frame.name = file;
    frame.seconds = 0;
    frame.index = next_ - 1;
    return true;
  }
  return false;
}

}  // namespace ser::vision
