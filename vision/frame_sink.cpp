#include "vision/frame_sink.hpp"

#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <vector>

#include "vision/vision_error.hpp"

namespace ser::vision {

namespace fs = std::filesystem;

namespace {
std::string extension(const std::string& path) {
  std::string e = fs::path(path).extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  return e;
}

int fourcc_for(const std::string& path) {
  const std::string e = extension(path);
  if (e == ".avi") return cv::VideoWriter::fourcc('M', 'J', 'P', 'G');
  if (e == ".mp4" || e == ".m4v" || e == ".mov") return cv::VideoWriter::fourcc('m', 'p', '4', 'v');
  throw VisionError(path + ": a video is written as .avi (Motion JPEG) or .mp4 (MPEG-4); give one of those");
}

// "out.png" -> "out.partial.png": the same extension, so OpenCV picks the same writer.
std::string partial_of(const std::string& path) {
  const fs::path p(path);
  return (p.parent_path() / (p.stem().string() + ".partial" + p.extension().string())).string();
}

void write_image_atomically(const std::string& path, const cv::Mat& image) {
  const std::string partial = partial_of(path);
  bool ok = false;
  try {
    ok = cv::imwrite(partial, image);
  } catch (const cv::Exception&) {
  }
  if (!ok) {
    std::error_code ec;
    fs::remove(partial, ec);
    throw VisionError(path + ": could not be written (is the extension an image format OpenCV writes, and the "
                             "folder writable?)");
  }
  fs::rename(partial, path);
}
}  // namespace

FrameSink::FrameSink(std::string path, SourceKind source, double fps)
    : path_(std::move(path)), source_(source), fps_(fps > 0 ? fps : 25.0) {
  const bool video = source == SourceKind::video || source == SourceKind::camera;
  if (source == SourceKind::folder) {
    if (fs::exists(path_) && !fs::is_directory(path_))
      throw VisionError(path_ + ": a folder of images is annotated into a folder; this is a file");
    fs::create_directories(path_);
  } else if (video) {
    fourcc_for(path_);  // refuse an unknown extension before any work
  } else if (!cv::haveImageWriter(path_)) {
    throw VisionError(path_ + ": not an image format OpenCV writes (give .png or .jpg)");
  }
  partial_ = partial_of(path_);
}

FrameSink::~FrameSink() {
  try {
    close();
  } catch (...) {
  }
}

void FrameSink::write(const Frame& annotated) {
  if (source_ == SourceKind::folder) {
    write_image_atomically((fs::path(path_) / fs::path(annotated.name).filename()).string(), annotated.image);
  } else if (source_ == SourceKind::image) {
    write_image_atomically(path_, annotated.image);
  } else {
    if (!video_) {
      video_ = std::make_unique<cv::VideoWriter>(partial_, fourcc_for(path_), fps_, annotated.image.size());
      if (!video_->isOpened()) throw VisionError(path_ + ": the video writer could not be opened");
    }
    video_->write(annotated.image);
  }
  ++written_;
}

void FrameSink::close() {
  if (closed_) return;
  closed_ = true;
  if (!video_) return;
  video_->release();
  if (written_ > 0) fs::rename(partial_, path_);
}

}  // namespace ser::vision
