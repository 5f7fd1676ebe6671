#pragma once
// Scenes with faces at known places, for the face pipeline's tests and
// benchmark: FER2013 test faces (48 x 48), upscaled to a realistic size,
// pasted at known boxes onto a smooth random background, written as still
// images and as a short video in which the faces drift (OpenCV's
// VideoWriter, Motion JPEG). Nothing is kept in the repository: callers
// write into a temporary folder.

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/rng.hpp"
#include "vision/box.hpp"

namespace ser::test {

struct PlacedFace {
  std::string file;   // the FER2013 test image
  std::string label;  // its class folder
  vision::Box box;    // where it is in the frame
};

struct Scene {
  std::string path;  // the image, or the video
  std::vector<std::vector<PlacedFace>> frames;  // per frame (one for a still image)
};

struct SceneOptions {
  int width = 640, height = 480;
  int faces = 3;      // per scene
  int face_size = 144;  // pixels (48 x 3)
  uint64_t seed = 1;
};

// The FER2013 test faces, sorted, with their labels.
inline std::vector<std::pair<std::string, std::string>> fer_test_faces(const std::string& fer_root) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(std::filesystem::path(fer_root) / "test"))
    if (e.is_regular_file()) out.emplace_back(e.path().string(), e.path().parent_path().filename().string());
  std::sort(out.begin(), out.end());
  if (out.empty()) throw std::runtime_error(fer_root + "/test holds no faces");
  return out;
}

// A smooth random background: uniform noise blurred, mid-grey, in colour.
inline cv::Mat scene_background(const SceneOptions& o, Rng& rng) {
  cv::Mat noise(o.height, o.width, CV_8UC1);
  for (int y = 0; y < o.height; ++y)
    for (int x = 0; x < o.width; ++x) noise.at<uint8_t>(y, x) = static_cast<uint8_t>(100 + rng.uniform() * 60);
  cv::GaussianBlur(noise, noise, cv::Size(0, 0), 8);
  cv::Mat bgr;
  cv::cvtColor(noise, bgr, cv::COLOR_GRAY2BGR);
  return bgr;
}

inline void paste_face(cv::Mat& frame, const PlacedFace& f) {
  const cv::Mat face = cv::imread(f.file, cv::IMREAD_GRAYSCALE);
  if (face.empty()) throw std::runtime_error(f.file + ": not readable");
  cv::Mat big, bgr;
  cv::resize(face, big, cv::Size(f.box.width, f.box.height), 0, 0, cv::INTER_CUBIC);
  cv::cvtColor(big, bgr, cv::COLOR_GRAY2BGR);
  bgr.copyTo(frame(cv::Rect(f.box.x, f.box.y, f.box.width, f.box.height)));
}

// `count` faces chosen from `pool` from position `first` on, placed in a row
// of equal cells with a random offset in each (no two overlap).
inline std::vector<PlacedFace> place_faces(const std::vector<std::pair<std::string, std::string>>& pool, size_t first,
                                           const SceneOptions& o, Rng& rng) {
  std::vector<PlacedFace> out;
  const int cell = o.width / o.faces;
  for (int i = 0; i < o.faces; ++i) {
    const auto& [file, label] = pool[(first + static_cast<size_t>(i)) % pool.size()];
    const int slack_x = std::max(0, cell - o.face_size - 16), slack_y = std::max(0, o.height - o.face_size - 40);
    const int x = i * cell + 8 + static_cast<int>(rng.uniform() * slack_x);
    const int y = 20 + static_cast<int>(rng.uniform() * slack_y);
    out.push_back({file, label, {x, y, o.face_size, o.face_size}});
  }
  return out;
}

// `count` still images scene_<i>.png in `dir`, each with o.faces faces.
inline std::vector<Scene> write_still_scenes(const std::string& fer_root, const std::string& dir, int count,
                                             const SceneOptions& o) {
  const auto pool = fer_test_faces(fer_root);
  Rng rng(o.seed);
  std::vector<Scene> out;
  for (int s = 0; s < count; ++s) {
    cv::Mat frame = scene_background(o, rng);
    const auto faces = place_faces(pool, static_cast<size_t>(s * o.faces) * 37, o, rng);
    for (const auto& f : faces) paste_face(frame, f);
    const std::string path = (std::filesystem::path(dir) / ("scene_" + std::to_string(s) + ".png")).string();
    if (!cv::imwrite(path, frame)) throw std::runtime_error(path + ": not written");
    out.push_back({path, {faces}});
  }
  return out;
}

// A video of `frames` frames at `fps` (Motion JPEG .avi): o.faces faces that
// drift by up to 2 pixels a frame, the same faces throughout.
inline Scene write_video_scene(const std::string& fer_root, const std::string& path, int frames, double fps,
                               const SceneOptions& o) {
  const auto pool = fer_test_faces(fer_root);
  Rng rng(o.seed);
  const cv::Mat background = scene_background(o, rng);
  std::vector<PlacedFace> faces = place_faces(pool, 11, o, rng);
  std::vector<std::pair<int, int>> step;
  for (size_t i = 0; i < faces.size(); ++i)
    step.emplace_back(static_cast<int>(rng.uniform() * 5) - 2, static_cast<int>(rng.uniform() * 5) - 2);
  cv::VideoWriter writer(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), fps, cv::Size(o.width, o.height));
  if (!writer.isOpened()) throw std::runtime_error(path + ": the video writer did not open");
  Scene scene{path, {}};
  for (int f = 0; f < frames; ++f) {
    cv::Mat frame = background.clone();
    for (size_t i = 0; i < faces.size(); ++i) {
      vision::Box& b = faces[i].box;
      b.x = std::clamp(b.x + step[i].first, 0, o.width - b.width);
      b.y = std::clamp(b.y + step[i].second, 0, o.height - b.height);
      paste_face(frame, faces[i]);
    }
    writer.write(frame);
    scene.frames.push_back(faces);
  }
  writer.release();
  return scene;
}

}  // namespace ser::test
