#pragma once
// The face pipeline of the published TestEmotionDetector.py, in C++: every
// frame's faces found (vision::FaceDetector), each cropped as the model's
// training images were made (its ImageRecipe), classified by the trained
// FER model in one batch, optionally smoothed over the face's last frames,
// and reported as JSON or drawn onto the frame.

#include <opencv2/core.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "experiments/image_recipe.hpp"
#include "nn/sequential.hpp"
#include "vision/face_detector.hpp"
#include "vision/face_tracker.hpp"
#include "vision/frame_source.hpp"

namespace ser::experiments {

// A trained image model and how its inputs are made.
class FaceClassifier {
 public:
  // A run directory or .sermodel file; refuses an audio model, naming it.
  // threads: the most the model may use (0: every core).
  FaceClassifier(const std::string& model_path, int threads);
  // Class probabilities of faces given as recipe-sized inputs, one row each.
  std::vector<std::vector<float>> classify(const std::vector<std::vector<float>>& faces);
  // The faces at `boxes` of a grayscale frame, each cropped by the recipe.
  std::vector<std::vector<float>> classify_boxes(const cv::Mat& gray, const std::vector<vision::Box>& boxes);
  // The same for one grayscale image that is already a face (resized to the recipe).
  std::vector<float> classify_face_image(const cv::Mat& gray);
  const std::vector<std::string>& labels() const { return model_.labels; }
  const ImageRecipe& recipe() const { return recipe_; }

 private:
  nn::Sequential model_;
  ImageRecipe recipe_;
  int threads_;
};

struct FaceResult {
  vision::Box box;
  std::string emotion;
  double probability = 0;
  std::vector<float> probabilities;  // every class, in the model's label order
  int64_t track = -1;                // with smoothing: the face's track across frames
};

struct FrameResult {
  int64_t index = 0;
  double seconds = 0;
  std::string name;
  std::vector<FaceResult> faces;
};

struct FacesOptions {
  vision::DetectorOptions detector;
  int smooth = 1;   // frames a face's probabilities are averaged over (1: none)
  int threads = 0;  // 0: every core
};

class FacePipeline {
 public:
  FacePipeline(const std::string& model_path, const FacesOptions& options);
  FrameResult process(const vision::Frame& frame);
  const std::vector<std::string>& labels() const { return classifier_.labels(); }
  double detect_seconds() const { return detect_seconds_; }
  double classify_seconds() const { return classify_seconds_; }
  const std::string& cascade_path() const { return detector_.cascade_path(); }

 private:
  FaceClassifier classifier_;
  vision::FaceDetector detector_;
  vision::FaceTracker tracker_;
  bool smooth_;
  double detect_seconds_ = 0, classify_seconds_ = 0;
};

// `ser predict` with an image model: an image of the model's input size is
// one face, classified as it is; a larger image goes through detection.
class ImagePredictor {
 public:
  ImagePredictor(const std::string& model_path, int threads, const vision::DetectorOptions& detector = {});
  // One result per face (none when a larger image shows no face). Throws
  // VisionError naming the file when it is not an image OpenCV reads.
  std::vector<FaceResult> predict(const std::string& image_path);
  const std::vector<std::string>& labels() const { return classifier_.labels(); }

 private:
  FaceClassifier classifier_;
  vision::DetectorOptions detector_options_;
  std::unique_ptr<vision::FaceDetector> detector_;  // made when a larger image first needs it
};

// Whether the model at `model_path` (a run or .sermodel file) takes images.
bool is_image_model(const std::string& model_path);

// One JSON line: {"frame", "time", "source", "faces": [{"box": [x, y, w, h], "emotion", "probability",
// "probabilities": {label: p}}]}.
std::string frame_json(const FrameResult& r, const std::vector<std::string>& labels);
// Draws every face's box and label onto the frame.
void draw_faces(cv::Mat& frame, const FrameResult& r);

}  // namespace ser::experiments
