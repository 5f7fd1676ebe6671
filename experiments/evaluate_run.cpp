#include "experiments/evaluate_run.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/thread_count.hpp"
#include "experiments/config.hpp"
#include "experiments/prepared_data.hpp"
#include "experiments/predict.hpp"
#include "experiments/runner.hpp"
#include "nn/model_file.hpp"
#include "nn/train.hpp"

namespace ser::experiments {

namespace fs = std::filesystem;

EvalResult evaluate_run(const std::string& run_dir, const EvalOptions& o, std::ostream& log) {
  ExperimentConfig c = load_run_config(run_dir, o.data_dir);
  if (!o.data_root.empty()) {
    if (!fs::is_directory(o.data_root)) throw std::runtime_error("--data-root '" + o.data_root + "' is not a folder");
    for (const auto& corpus : c.data.corpora)
      c.data.roots[corpus] = c.data.corpora.size() == 1 ? o.data_root : (fs::path(o.data_root) / corpus).string();
  }
  c.augmentation = {};  // score the files themselves
  const std::string model_path = resolve_model_path(run_dir);
  nn::Sequential model = nn::load_model(model_path);

  const bool images = c.features.sets.empty();
  const int threads = thread_count(o.threads > 0 ? o.threads : c.threads);
  PreparedData p;
  if (images) {
    p = prepare_images(c);
  } else {
    const ModelInput input = ModelInput::parse(model.feature_settings, model_path);
    const std::string cache =
        o.cache_dir.empty() ? (fs::path(run_dir).parent_path().parent_path() / "cache").string() : o.cache_dir;
    p = prepare_audio(load_audio_corpora(c, log), input, cache, threads, log);
    scale_prepared(input, p);
  }

  // Classes by name: the data set may have fewer (or, wrongly, other) labels than the model.
  EvalResult r;
  std::vector<int64_t> rows;
  std::vector<int32_t> truth;
  for (size_t i = 0; i < p.corpus.samples.size(); ++i) {
    const auto& label = p.corpus.samples[i].label;
    const auto it = std::find(model.labels.begin(), model.labels.end(), label);
    if (it == model.labels.end()) {
      log << "  left out " << p.corpus.samples[i].path << ": label '" << label << "' is not one the model knows\n";
      ++r.unknown;
      continue;
    }
    rows.push_back(static_cast<int64_t>(i));
    truth.push_back(static_cast<int32_t>(it - model.labels.begin()));
  }
  if (rows.empty()) throw std::runtime_error("no file of the data set has a label the model knows");
  std::vector<int32_t> predicted;
  for (size_t b = 0; b < rows.size(); b += 256) {
    const std::span<const int64_t> batch(rows.data() + b, std::min<size_t>(256, rows.size() - b));
    const auto pr = nn::argmax_rows(model.predict(nn::gather_rows(p.x, p.sample_shape, batch), threads));
    predicted.insert(predicted.end(), pr.begin(), pr.end());
  }
  r.metrics = evaluate(truth, predicted, model.labels);
  r.files = static_cast<int64_t>(rows.size());
  nlohmann::ordered_json j;
  j["run"] = run_dir;
  j["data"] = c.data.roots;
  j["files"] = r.files;
  j["left_out"] = r.unknown;
  j["metrics"] = nlohmann::ordered_json::parse(metrics_json(r.metrics));
  j["predictions"] = nlohmann::ordered_json::array();
  for (size_t k = 0; k < rows.size(); ++k) {
    const auto& sample = p.corpus.samples[static_cast<size_t>(rows[k])];
    r.predictions.emplace_back(sample.path, model.labels[static_cast<size_t>(predicted[k])]);
    j["predictions"].push_back({{"file", sample.path}, {"truth", sample.label}, {"predicted", r.predictions.back().second}});
  }
  r.json = j.dump(2) + "\n";
  return r;
}

}  // namespace ser::experiments
