#include "experiments/faces.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/thread_count.hpp"
#include "experiments/predict.hpp"
#include "nn/model_file.hpp"
#include "nn/ops.hpp"
#include "vision/annotate.hpp"
#include "vision/face_crop.hpp"
#include "vision/vision_error.hpp"

namespace ser::experiments {

namespace {
ImageRecipe recipe_of(const nn::Sequential& model, const std::string& path) {
  const auto r = ImageRecipe::of_model(model);
  if (!r)
    throw std::runtime_error(path + ": an audio model (its input is " + model.input_shape().str() +
                             "); faces need a model trained on face images, e.g. configs/fer2013_cnn.yaml");
  if (static_cast<int64_t>(model.labels.size()) != model.output_shape().numel())
    throw std::runtime_error(path + ": the model names " + std::to_string(model.labels.size()) +
                             " class labels for its " + std::to_string(model.output_shape().numel()) +
                             " outputs; faces need a model trained by `ser train`");
  return *r;
}

FaceResult face_result(const vision::Box& box, std::vector<float> p, const std::vector<std::string>& labels,
                       int64_t track) {
  FaceResult f{box, "", 0, std::move(p), track};
  const auto best = static_cast<size_t>(std::max_element(f.probabilities.begin(), f.probabilities.end()) -
                                        f.probabilities.begin());
  f.emotion = labels[best];
  f.probability = f.probabilities[best];
  return f;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

FaceClassifier::FaceClassifier(const std::string& model_path, int threads)
    : model_(nn::load_model(resolve_model_path(model_path))),
      recipe_(recipe_of(model_, model_path)),
      threads_(thread_count(threads)) {}

std::vector<std::vector<float>> FaceClassifier::classify(const std::vector<std::vector<float>>& faces) {
  if (faces.empty()) return {};
  const int64_t size = int64_t{recipe_.height} * recipe_.width;
  nn::Tensor batch = nn::Tensor::zeros(model_.input_shape().prepend(static_cast<int64_t>(faces.size())));
  for (size_t i = 0; i < faces.size(); ++i) {
    if (static_cast<int64_t>(faces[i].size()) != size) throw std::invalid_argument("a face input of the wrong size");
    std::copy(faces[i].begin(), faces[i].end(), batch.data() + static_cast<int64_t>(i) * size);
  }
  const nn::Tensor p = nn::softmax(model_.predict(batch, threads_));
  const int64_t classes = p.dim(1);
  std::vector<std::vector<float>> out;
  for (size_t i = 0; i < faces.size(); ++i)
    out.emplace_back(p.data() + static_cast<int64_t>(i) * classes, p.data() + (static_cast<int64_t>(i) + 1) * classes);
  return out;
}

std::vector<std::vector<float>> FaceClassifier::classify_boxes(const cv::Mat& gray,
                                                               const std::vector<vision::Box>& boxes) {
  std::vector<std::vector<float>> inputs;
  for (const auto& b : boxes) inputs.push_back(vision::face_input(gray, b, recipe_.height, recipe_.width));
  return classify(inputs);
}

std::vector<float> FaceClassifier::classify_face_image(const cv::Mat& gray) {
  return classify({vision::face_input(gray, {0, 0, gray.cols, gray.rows}, recipe_.height, recipe_.width)}).front();
}

FacePipeline::FacePipeline(const std::string& model_path, const FacesOptions& options)
    : classifier_(model_path, options.threads),
      detector_(options.detector),
      tracker_(std::max(options.smooth, 1)),
      smooth_(options.smooth > 1) {}

FrameResult FacePipeline::process(const vision::Frame& frame) {
  FrameResult r{frame.index, frame.seconds, frame.name, {}};
  const cv::Mat gray = vision::to_gray(frame.image);
  auto t0 = std::chrono::steady_clock::now();
  const std::vector<vision::Box> boxes = detector_.detect(gray);
  detect_seconds_ += seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  std::vector<std::vector<float>> probs = classifier_.classify_boxes(gray, boxes);
  classify_seconds_ += seconds_since(t0);
  std::vector<vision::FaceTracker::Smoothed> smoothed;
  if (smooth_) smoothed = tracker_.update(boxes, probs);
  for (size_t i = 0; i < boxes.size(); ++i)
    r.faces.push_back(face_result(boxes[i], smooth_ ? smoothed[i].probabilities : probs[i], classifier_.labels(),
                                  smooth_ ? smoothed[i].track : -1));
  return r;
}


ImagePredictor::ImagePredictor(const std::string& model_path, int threads, const vision::DetectorOptions& detector)
    : classifier_(model_path, threads), detector_options_(detector) {}

std::vector<FaceResult> ImagePredictor::predict(const std::string& image_path) {
  if (!vision::is_image_file(image_path))
    throw vision::VisionError(image_path + ": not an image OpenCV can read (the model takes face images)");
  const cv::Mat gray = cv::imread(image_path, cv::IMREAD_GRAYSCALE);
  if (gray.empty()) throw vision::VisionError(image_path + ": the image could not be decoded");
  const ImageRecipe& r = classifier_.recipe();
  if (gray.rows <= r.height && gray.cols <= r.width)  // a face already, as the training images
    return {face_result({0, 0, gray.cols, gray.rows}, classifier_.classify_face_image(gray), labels(), -1)};
  if (!detector_) detector_ = std::make_unique<vision::FaceDetector>(detector_options_);
  const std::vector<vision::Box> boxes = detector_->detect(gray);
  const auto probs = classifier_.classify_boxes(gray, boxes);
  std::vector<FaceResult> out;
  for (size_t i = 0; i < boxes.size(); ++i) out.push_back(face_result(boxes[i], probs[i], labels(), -1));
  return out;
}

bool is_image_model(const std::string& model_path) {
  return ImageRecipe::of_model(nn::load_model(resolve_model_path(model_path))).has_value();
}

std::string frame_json(const FrameResult& r, const std::vector<std::string>& labels) {
  nlohmann::ordered_json j;
  j["frame"] = r.index;
  j["time"] = r.seconds;
  j["source"] = r.name;
  j["faces"] = nlohmann::ordered_json::array();
  for (const FaceResult& f : r.faces) {
    nlohmann::ordered_json face;
    face["box"] = {f.box.x, f.box.y, f.box.width, f.box.height};
    face["emotion"] = f.emotion;
    face["probability"] = f.probability;
    if (f.track >= 0) face["track"] = f.track;
    nlohmann::ordered_json p;
    for (size_t c = 0; c < labels.size(); ++c) p[labels[c]] = f.probabilities[c];
    face["probabilities"] = p;
    j["faces"].push_back(face);
  }
  return j.dump();
}

void draw_faces(cv::Mat& frame, const FrameResult& r) {
  for (const FaceResult& f : r.faces) vision::draw_face(frame, f.box, f.emotion, f.probability);
}

}  // namespace ser::experiments
