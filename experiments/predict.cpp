#include "experiments/predict.hpp"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "common/thread_count.hpp"
#include "nn/model_file.hpp"
#include "nn/ops.hpp"

namespace ser::experiments {

std::string resolve_model_path(const std::string& model_path) {
  if (std::filesystem::is_directory(model_path)) {
    const auto p = std::filesystem::path(model_path) / "model.sermodel";
    if (!std::filesystem::exists(p))
      throw std::runtime_error("'" + model_path + "' is a folder without model.sermodel; give a run directory or a .sermodel file");
    return p.string();
  }
  return model_path;
}

namespace {
ModelInput recipe_of(const nn::Sequential& model, const std::string& path) {
  if (model.feature_settings.empty())
    throw std::runtime_error(path + ": the model has no audio feature recipe (an image model, or saved without one); "
                             "predict needs a model trained by `ser train` on audio");
  return ModelInput::parse(model.feature_settings, path);
}
}  // namespace

EmotionPredictor::EmotionPredictor(const std::string& model_path, int threads)
    : model_(nn::load_model(resolve_model_path(model_path))),
      input_(recipe_of(model_, resolve_model_path(model_path))),
      threads_(thread_count(threads)) {
  if (static_cast<int64_t>(model_.labels.size()) != model_.output_shape().numel())
    throw std::runtime_error(model_path + ": the model names " + std::to_string(model_.labels.size()) +
                             " class labels for its " + std::to_string(model_.output_shape().numel()) +
                             " outputs; predict needs a model trained by `ser train`");
  if (input_.scaling == Scaling::per_speaker)
    throw std::runtime_error(model_path + ": the model scales its inputs per speaker, with statistics of each "
                             "speaker's own recordings; a file on its own has none. Score it with `ser eval` on a "
                             "data set that holds the speaker's other recordings");
  if (input_.sample_shape() != model_.input_shape())
    throw std::runtime_error(model_path + ": the feature recipe gives " + input_.sample_shape().str() +
                             " but the model takes " + model_.input_shape().str());
}

EmotionPrediction EmotionPredictor::predict(const std::string& audio_path) {
  std::vector<dsp::Matrix> features;
  for (const auto& spec : input_.sets) features.push_back(dsp::FeatureExtractor(spec).from_file(audio_path));
  return named(probabilities(input_of(std::move(features))));
}

std::vector<float> EmotionPredictor::input_of(std::vector<dsp::Matrix> features) const {
  for (dsp::Matrix& m : features)
    for (double& v : m.data) v = static_cast<float>(v);  // as the feature cache kept the training features
  std::vector<float> x = input_.assemble(features);
  input_.scale_rows(x);
  return x;
}

std::vector<float> EmotionPredictor::probabilities(const std::vector<float>& x) {
  nn::Tensor batch = nn::Tensor::zeros(input_.sample_shape().prepend(1));
  std::copy(x.begin(), x.end(), batch.data());
  const nn::Tensor p = nn::softmax(model_.predict(batch, threads_));
  return {p.data(), p.data() + model_.labels.size()};
}

EmotionPrediction EmotionPredictor::named(const std::vector<float>& p) const {
  EmotionPrediction out;
  for (size_t c = 0; c < model_.labels.size(); ++c) {
    const double v = p[c];
    out.probabilities.emplace_back(model_.labels[c], v);
    if (v > out.probability || out.emotion.empty()) {
      out.probability = v;
      out.emotion = model_.labels[c];
    }
  }
  return out;
}

EmotionPrediction predict_emotion(const std::string& audio_path, const std::string& model_path, int threads) {
  return EmotionPredictor(model_path, threads).predict(audio_path);
}

std::vector<size_t> class_positions(const std::vector<std::string>& labels, const std::vector<std::string>& order) {
  std::vector<std::string> a = labels, b = order;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  if (a != b) return {};
  std::vector<size_t> at;
  for (const auto& label : labels)
    at.push_back(static_cast<size_t>(std::find(order.begin(), order.end(), label) - order.begin()));
  return at;
}

EnsemblePredictor::EnsemblePredictor(const std::vector<std::string>& paths, int threads) {
  if (paths.empty()) throw std::runtime_error("an ensemble needs at least one model");
  for (const auto& path : paths) {
    members_.emplace_back(path, threads);
    if (class_positions(members_.back().labels(), members_.front().labels()).empty())
      throw std::runtime_error(path + ": its classes differ from those of " + paths.front() +
                               "; an ensemble averages the probabilities of the same classes");
  }
}

EmotionPrediction EnsemblePredictor::predict(const std::string& audio_path) {
  const std::vector<std::string>& order = members_.front().labels();
  std::vector<float> mean(order.size(), 0.0f);
  for (auto& m : members_) {
    const EmotionPrediction one = m.predict(audio_path);
    for (const auto& [label, p] : one.probabilities) {
      const auto at = static_cast<size_t>(std::find(order.begin(), order.end(), label) - order.begin());
      mean[at] += static_cast<float>(p / static_cast<double>(members_.size()));
    }
  }
  return members_.front().named(mean);
}

}  // namespace ser::experiments
