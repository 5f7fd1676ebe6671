#pragma once
// Emotion of a recording from a trained model, the C++ twin of the published
// Python `predict_emotion(audio_path, model_path)`. The model file carries
// the feature recipe and the scaling statistics of its training, so a file
// is processed exactly as the training files were.

#include <string>
#include <utility>
#include <vector>

#include "experiments/model_input.hpp"
#include "nn/sequential.hpp"

namespace ser::experiments {

struct EmotionPrediction {
  std::string emotion;
  double probability = 0;
  std::vector<std::pair<std::string, double>> probabilities;  // every class, in the model's label order
};

// Loads the model once for many files. `model_path`: a .sermodel file or a
// run directory holding model.sermodel. Throws for a model that has no audio
// feature recipe (an image model, or one not trained by `ser train`).
class EmotionPredictor {
 public:
  // threads: the most the model may use per file (0: every core).
  explicit EmotionPredictor(const std::string& model_path, int threads = 0);
  // Throws dsp::AudioError naming the file when it cannot be read.
  EmotionPrediction predict(const std::string& audio_path);
  // The model's input from feature matrices (one per set, rounded to float
  // as the feature cache keeps them), then scaled as in training.
  std::vector<float> input_of(std::vector<dsp::Matrix> features) const;
  // Class probabilities of one input (the softmax of the model's output).
  std::vector<float> probabilities(const std::vector<float>& input);
  // The most probable class and every class's probability.
  EmotionPrediction named(const std::vector<float>& probabilities) const;
  const std::vector<std::string>& labels() const { return model_.labels; }
  const ModelInput& input() const { return input_; }

 private:
  nn::Sequential model_;
  ModelInput input_;
  int threads_;
};

// Several models' class probabilities averaged, as an ensemble of runs (the
// published RAVDESS project averages its models). Every model must know the
// same classes (in any order); the first model's order is kept. Each model
// extracts its own features, so models of other feature recipes mix.
class EnsemblePredictor {
 public:
  // Throws std::runtime_error naming the model whose classes differ.
  EnsemblePredictor(const std::vector<std::string>& model_paths, int threads = 0);
  EmotionPrediction predict(const std::string& audio_path);
  size_t size() const { return members_.size(); }

 private:
  std::vector<EmotionPredictor> members_;
};

// Where each of `labels` stands in `order`, when both name the same classes
// (in any order); empty when they do not: how ensembles line up their members.
std::vector<size_t> class_positions(const std::vector<std::string>& labels, const std::vector<std::string>& order);

EmotionPrediction predict_emotion(const std::string& audio_path, const std::string& model_path, int threads = 0);

// A .sermodel path from a file or run-directory argument.
std::string resolve_model_path(const std::string& model_path);

}  // namespace ser::experiments
