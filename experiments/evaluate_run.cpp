#include "experiments/evaluate_run.hpp"

#include <filesystem>
#include <algorithm>
#include <map>
#include <numeric>
#include <nlohmann/json.hpp>

#include "common/round_robin.hpp"
#include "common/thread_count.hpp"
#include "experiments/config.hpp"
#include "experiments/prepared_data.hpp"
#include "experiments/predict.hpp"
#include "experiments/runner.hpp"
#include "nn/model_file.hpp"
#include "nn/ops.hpp"
#include "nn/train.hpp"

namespace ser::experiments {

namespace fs = std::filesystem;

namespace {

// One run's model on the data set: every file's class probabilities.
struct RunScores {
  ExperimentConfig config;
  datasets::Corpus corpus;             // the files that made it through feature extraction
  std::vector<std::string> labels;     // the model's classes
  std::vector<std::vector<float>> probabilities;  // per corpus sample
  std::vector<size_t> to_first;        // each class's place among the first run's (class_positions)
};

ExperimentConfig eval_config(const std::string& run_dir, const EvalOptions& o) {
  ExperimentConfig c = load_run_config(run_dir, o.data_dir);
  if (!o.data_root.empty()) {
    if (!fs::is_directory(o.data_root)) throw std::runtime_error("--data-root '" + o.data_root + "' is not a folder");
    for (const auto& corpus : c.data.corpora)
      c.data.roots[corpus] = c.data.corpora.size() == 1 ? o.data_root : (fs::path(o.data_root) / corpus).string();
  }
  c.augmentation = {};  // score the files themselves
  return c;
}

// The batch with every row of every image reversed: mirrored left to right.
nn::Tensor mirrored(const nn::Tensor& x) {
  const int64_t width = x.dim(x.rank() - 1);
  std::vector<float> v(x.values().begin(), x.values().end());
  for (auto row = v.begin(); row != v.end(); row += width) std::reverse(row, row + width);
  return nn::Tensor::from(x.shape(), v);
}

// Every row's class probabilities, in batches of the run's training batch
// size (so that scoring needs no more memory than training did); with
// `mirror`, the mean of the images' and their mirror images'. In a job of
// several ranks each rank scores every size()-th batch and all get every
// row (a batch's bits do not depend on the rank that scored it).
std::vector<std::vector<float>> class_probabilities(nn::Sequential& model, const PreparedData& p, int64_t per_batch,
                                                    bool mirror, int threads, const Communicator& comm) {
  const auto n = static_cast<int64_t>(p.corpus.samples.size());
  const int64_t batches = (n + per_batch - 1) / per_batch, classes = model.output_shape().numel();
  auto end_of = [&](int64_t batch) { return std::min(n, (batch + 1) * per_batch); };
  auto rows_of = [&](int64_t batch) {
    std::vector<int64_t> rows;
    for (int64_t i = batch * per_batch; i < end_of(batch); ++i) rows.push_back(i);
    return rows;
  };
  const RoundRobin share(batches, comm);
  std::vector<float> mine;
  for (int64_t j = 0; j < share.count(); ++j) {
    const nn::Tensor x = nn::gather_rows(p.x, p.sample_shape, rows_of(share.item(j)));
    nn::Tensor probs = nn::softmax(model.predict(x, threads));
    if (mirror) {
      const nn::Tensor other = nn::softmax(model.predict(mirrored(x), threads));
      for (int64_t i = 0; i < probs.numel(); ++i) probs.data()[i] = 0.5f * (probs.data()[i] + other.data()[i]);
    }
    mine.insert(mine.end(), probs.data(), probs.data() + probs.numel());
  }
  const std::vector<float> all =
      share.gather(mine, [&](int64_t b) { return (end_of(b) - b * per_batch) * classes; });
  std::vector<std::vector<float>> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    out[static_cast<size_t>(i)].assign(all.begin() + i * classes, all.begin() + (i + 1) * classes);
  return out;
}

RunScores score_run(const std::string& run_dir, const EvalOptions& o, std::ostream& log, const Communicator& comm) {
  RunScores r{eval_config(run_dir, o), {}, {}, {}, {}};
  const ExperimentConfig& c = r.config;
  const std::string model_path = resolve_model_path(run_dir);
  nn::Sequential model = nn::load_model(model_path);
  const int threads = thread_count(o.threads > 0 ? o.threads : c.threads);
  PreparedData p;
  if (c.features.sets.empty()) {
    p = prepare_images(c);
  } else {
    if (o.mirror)
      throw std::runtime_error("'" + run_dir + "' is a model of audio features; mirroring (--mirror) is for image models");
    const ModelInput input = ModelInput::parse(model.feature_settings, model_path);
    const std::string cache =
        o.cache_dir.empty() ? (fs::path(run_dir).parent_path().parent_path() / "cache").string() : o.cache_dir;
    p = prepare_audio(load_audio_corpora(c, log), input, cache, threads, log, comm);
    scale_prepared(input, p);
  }
  r.probabilities = class_probabilities(model, p, r.config.training.batch_size, o.mirror, threads, comm);
  r.corpus = std::move(p.corpus);
  r.labels = model.labels;
  return r;
}

// The corpus samples to score: all, or one part of the run's split.
std::vector<size_t> chosen_samples(const RunScores& first, EvalPart part, const std::string& run_dir) {
  std::vector<size_t> all(first.corpus.samples.size());
  std::iota(all.begin(), all.end(), size_t{0});
  if (part == EvalPart::all) return all;
  if (first.config.data.split.runs_folds())
    throw std::runtime_error("'" + run_dir + "' ran folds; give one fold's folder (" + run_dir +
                             "/fold_01, ...) to score its " + kEvalParts[static_cast<int>(part)] + " part");
  const datasets::Split split = split_for(first.config, first.corpus);
  std::vector<size_t> chosen = part == EvalPart::test ? split.test : split.validation;
  if (chosen.empty())
    throw std::runtime_error("the split of '" + run_dir + "' has no " + kEvalParts[static_cast<int>(part)] + " part");
  return chosen;
}

std::vector<float> averaged(const std::vector<RunScores>& runs, const std::vector<std::map<std::string, size_t>>& index,
                            const std::string& path, const std::vector<std::string>& dirs) {
  std::vector<float> mean(runs.front().labels.size(), 0.0f);
  for (size_t m = 0; m < runs.size(); ++m) {
    const auto it = index[m].find(path);
    if (it == index[m].end())
      throw std::runtime_error("the model of '" + dirs[m] + "' has no score for " + path +
                               " (its features failed, see above); leave that run out of the ensemble");
    const auto& p = runs[m].probabilities[it->second];
    for (size_t k = 0; k < mean.size(); ++k) mean[runs[m].to_first[k]] += p[k] / static_cast<float>(runs.size());
  }
  return mean;
}

std::string result_json(const EvalResult& r, const std::vector<std::string>& dirs, const ExperimentConfig& c,
                        EvalPart part, bool mirror, const std::vector<std::string>& truths) {
  nlohmann::ordered_json j;
  j["runs"] = dirs;
  j["data"] = c.data.roots;
  j["part"] = kEvalParts[static_cast<int>(part)];
  j["mirror"] = mirror;
  j["files"] = r.files;
  j["left_out"] = r.unknown;
  j["metrics"] = nlohmann::ordered_json::parse(metrics_json(r.metrics));
  j["predictions"] = nlohmann::ordered_json::array();
  for (size_t k = 0; k < r.predictions.size(); ++k)
    j["predictions"].push_back(
        {{"file", r.predictions[k].first}, {"truth", truths[k]}, {"predicted", r.predictions[k].second}});
  return j.dump(2) + "\n";
}

}  // namespace

EvalResult evaluate_runs(const std::vector<std::string>& dirs, const EvalOptions& o, std::ostream& log,
                         const Communicator& comm) {
  if (dirs.empty()) throw std::runtime_error("give at least one run folder");
  std::vector<RunScores> runs;
  std::vector<std::map<std::string, size_t>> index;  // per run: file -> corpus sample
  for (const auto& dir : dirs) {
    runs.push_back(score_run(dir, o, log, comm));
    runs.back().to_first = class_positions(runs.back().labels, runs.front().labels);
    if (runs.back().to_first.empty())
      throw std::runtime_error("the model of '" + dir + "' has other classes than that of '" + dirs.front() +
                               "'; an ensemble averages the same classes (in any order)");
    std::map<std::string, size_t> at;
    for (size_t i = 0; i < runs.back().corpus.samples.size(); ++i) at[runs.back().corpus.samples[i].path] = i;
    index.push_back(std::move(at));
  }
  const RunScores& first = runs.front();
  const std::vector<std::string>& labels = first.labels;
  // Classes by name: the data set may have fewer (or, wrongly, other) labels than the model.
  EvalResult r;
  std::vector<int32_t> truth, predicted;
  std::vector<std::string> truths;
  for (size_t i : chosen_samples(first, o.part, dirs.front())) {
    const datasets::Sample& s = first.corpus.samples[i];
    const auto it = std::find(labels.begin(), labels.end(), s.label);
    if (it == labels.end()) {
      log << "  left out " << s.path << ": label '" << s.label << "' is not one the model knows\n";
      ++r.unknown;
      continue;
    }
    const std::vector<float> p = averaged(runs, index, s.path, dirs);
    truth.push_back(static_cast<int32_t>(it - labels.begin()));
    predicted.push_back(static_cast<int32_t>(std::max_element(p.begin(), p.end()) - p.begin()));
    r.predictions.emplace_back(s.path, labels[static_cast<size_t>(predicted.back())]);
    r.probabilities.push_back(p);
    truths.push_back(s.label);
  }
  if (truth.empty()) throw std::runtime_error("no file of the data set has a label the model knows");
  r.metrics = evaluate(truth, predicted, labels);
  r.files = static_cast<int64_t>(truth.size());
  r.json = result_json(r, dirs, first.config, o.part, o.mirror, truths);
  return r;
}

}  // namespace ser::experiments
