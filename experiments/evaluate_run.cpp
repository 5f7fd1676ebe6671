#include "experiments/evaluate_run.hpp"

#include <filesystem>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <numeric>
#include <set>
#include <nlohmann/json.hpp>

#include "common/round_robin.hpp"
#include "common/thread_count.hpp"
#include "datasets/image_augment.hpp"
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
  std::vector<size_t> rows;            // the corpus samples scored
  std::vector<std::vector<float>> probabilities;  // per scored sample
  std::vector<size_t> to_first;        // each class's place among the first run's (class_positions)
  std::map<std::string, size_t> place;  // file -> its row among `probabilities`
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

// The views each image is scored in: itself, with `shift` its copies moved
// that many pixels up, down, left and right, and with `mirror` each of those
// mirrored left to right. The moves repeat the edge pixels, as training's
// shifts do (ImageAugment, fill_mode "nearest").
std::vector<datasets::ImageAugment::Draw> test_views(bool mirror, int shift) {
  std::vector<datasets::ImageAugment::Draw> views(1);
  if (shift > 0) {
    const auto s = static_cast<double>(shift);
    for (const auto& [tx, ty] : {std::pair{-s, 0.0}, {s, 0.0}, {0.0, -s}, {0.0, s}}) {
      datasets::ImageAugment::Draw d;
      d.tx = tx;
      d.ty = ty;
      views.push_back(d);
    }
  }
  if (mirror)
    for (size_t k = 0, n = views.size(); k < n; ++k) {
      views.push_back(views[k]);
      views.back().flip = true;
    }
  return views;
}

// The batch (images of channels x height x width) with one view applied to
// every channel of every image.
nn::Tensor viewed(const nn::Tensor& x, const datasets::ImageAugment::Draw& view) {
  const int64_t h = x.dim(x.rank() - 2), w = x.dim(x.rank() - 1);
  nn::Tensor out = x.clone();
  for (int64_t at = 0; at < out.numel(); at += h * w) datasets::ImageAugment::apply_draw(view, out.data() + at, h, w);
  return out;
}

// The given rows' class probabilities, in batches of the run's training
// batch size (so that scoring needs no more memory than training did),
// averaged over the views (the images themselves when there is one). In a
// job of several ranks each rank scores every size()-th batch and all get
// every row (a batch's bits do not depend on the rank that scored it).
std::vector<std::vector<float>> class_probabilities(nn::Sequential& model, const PreparedData& p,
                                                    const std::vector<size_t>& wanted, int64_t per_batch,
                                                    const std::vector<datasets::ImageAugment::Draw>& views,
                                                    int threads, const Communicator& comm) {
  const auto n = static_cast<int64_t>(wanted.size());
  const int64_t batches = (n + per_batch - 1) / per_batch, classes = model.output_shape().numel();
  auto end_of = [&](int64_t batch) { return std::min(n, (batch + 1) * per_batch); };
  auto rows_of = [&](int64_t batch) {
    std::vector<int64_t> rows;
    for (int64_t i = batch * per_batch; i < end_of(batch); ++i) rows.push_back(static_cast<int64_t>(wanted[i]));
    return rows;
  };
  const RoundRobin share(batches, comm);
  std::vector<float> mine;
  for (int64_t j = 0; j < share.count(); ++j) {
    const nn::Tensor x = nn::gather_rows(p.x, p.sample_shape, rows_of(share.item(j)));
    nn::Tensor probs = nn::softmax(model.predict(x, threads));
    for (size_t v = 1; v < views.size(); ++v) {
      const nn::Tensor other = nn::softmax(model.predict(viewed(x, views[v]), threads));
      for (int64_t i = 0; i < probs.numel(); ++i) probs.data()[i] += other.data()[i];
    }
    const float share_of_each = 1.0f / static_cast<float>(views.size());
    for (int64_t i = 0; i < probs.numel(); ++i) probs.data()[i] *= share_of_each;
    mine.insert(mine.end(), probs.data(), probs.data() + probs.numel());
  }
  const std::vector<float> all =
      share.gather(mine, [&](int64_t b) { return (end_of(b) - b * per_batch) * classes; });
  std::vector<std::vector<float>> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    out[static_cast<size_t>(i)].assign(all.begin() + i * classes, all.begin() + (i + 1) * classes);
  return out;
}

// The corpus samples to score: all, or one part of the run's split.
std::vector<size_t> chosen_samples(const ExperimentConfig& c, const datasets::Corpus& corpus, EvalPart part,
                                   const std::string& run_dir) {
  std::vector<size_t> all(corpus.samples.size());
  std::iota(all.begin(), all.end(), size_t{0});
  if (part == EvalPart::all) return all;
  if (c.data.split.runs_folds())
    throw std::runtime_error("'" + run_dir + "' ran folds; give one fold's folder (" + run_dir +
                             "/fold_01, ...) to score its " + kEvalParts[static_cast<int>(part)] + " part");
  const datasets::Split split = split_for(c, corpus);
  std::vector<size_t> chosen = part == EvalPart::test ? split.test : split.validation;
  if (chosen.empty())
    throw std::runtime_error("the split of '" + run_dir + "' has no " + kEvalParts[static_cast<int>(part)] + " part");
  return chosen;
}

// The samples of the corpus whose files are among `files`.
std::vector<size_t> samples_of(const datasets::Corpus& corpus, const std::set<std::string>& files) {
  std::vector<size_t> rows;
  for (size_t i = 0; i < corpus.samples.size(); ++i)
    if (files.count(corpus.samples[i].path)) rows.push_back(i);
  return rows;
}

// A member of an ensemble that trained on some of the files the first run
// holds out would lift the ensemble's score on them: refuse it, and say how
// runs of several seeds share one split.
void check_unseen(const ExperimentConfig& c, const datasets::Corpus& corpus, const std::set<std::string>& scored,
                  const std::string& dir, const std::string& first_dir) {
  if (c.data.split.runs_folds())
    throw std::runtime_error("'" + dir + "' ran folds; an ensemble scored on a part of '" + first_dir +
                             "' takes runs of one split");
  size_t seen = 0;
  std::string example;
  for (size_t i : split_for(c, corpus).train)
    if (scored.count(corpus.samples[i].path) && seen++ == 0) example = corpus.samples[i].path;
  if (seen > 0)
    throw std::runtime_error("the model of '" + dir + "' trained on " + std::to_string(seen) + " of the " +
                             std::to_string(scored.size()) + " files scored (the part of '" + first_dir +
                             "'), for example " + example +
                             "; train the members on one split (--set data.split.seed=N, the same N for each)");
}

void check_shift(int shift, const nn::Shape& image, const std::string& run_dir) {
  if (shift == 0) return;
  if (shift < 0) throw std::runtime_error("--shift " + std::to_string(shift) + " must be 0 or more pixels");
  const int64_t side = std::min(image[image.rank() - 2], image.back());
  if (shift >= side)
    throw std::runtime_error("--shift " + std::to_string(shift) + " must lie in [0, " + std::to_string(side) +
                             "): pixels, and the images of '" + run_dir + "' have a side of " + std::to_string(side));
}

// The files the first run of an ensemble scores, which the others score too.
struct FirstRun {
  std::string dir;
  std::set<std::string> files;
};

// One run's model on the chosen part (the first run of an ensemble), or on
// the files of the first run (the others).
RunScores score_run(const std::string& run_dir, const EvalOptions& o, const FirstRun* first, std::ostream& log,
                    const Communicator& comm) {
  RunScores r{eval_config(run_dir, o), {}, {}, {}, {}, {}, {}};
  const ExperimentConfig& c = r.config;
  const std::string model_path = resolve_model_path(run_dir);
  nn::Sequential model = nn::load_model(model_path);
  const int threads = thread_count(o.threads > 0 ? o.threads : c.threads);
  PreparedData p;
  if (c.features.sets.empty()) {
    p = prepare_images(c);
  } else {
    if (o.mirror || o.shift != 0)
      throw std::runtime_error("'" + run_dir + "' is a model of audio features; --mirror and --shift are for image models");
    const ModelInput input = ModelInput::parse(model.feature_settings, model_path);
    const std::string cache =
        o.cache_dir.empty() ? (fs::path(run_dir).parent_path().parent_path() / "cache").string() : o.cache_dir;
    p = prepare_audio(load_audio_corpora(c, log), input, cache, threads, log, comm);
    scale_prepared(input, p);
  }
  check_shift(o.shift, p.sample_shape, run_dir);
  if (first && o.part != EvalPart::all) check_unseen(c, p.corpus, first->files, run_dir, first->dir);
  r.rows = first ? samples_of(p.corpus, first->files) : chosen_samples(c, p.corpus, o.part, run_dir);
  r.probabilities = class_probabilities(model, p, r.rows, c.training.batch_size, test_views(o.mirror, o.shift),
                                        threads, comm);
  r.corpus = std::move(p.corpus);
  r.labels = model.labels;
  return r;
}

std::vector<float> averaged(const std::vector<RunScores>& runs, const std::string& path,
                            const std::vector<std::string>& dirs) {
  std::vector<float> mean(runs.front().labels.size(), 0.0f);
  for (size_t m = 0; m < runs.size(); ++m) {
    const auto it = runs[m].place.find(path);
    if (it == runs[m].place.end())
      throw std::runtime_error("the model of '" + dirs[m] + "' has no score for " + path +
                               " (its features failed, see above); leave that run out of the ensemble");
    const auto& p = runs[m].probabilities[it->second];
    for (size_t k = 0; k < mean.size(); ++k) mean[runs[m].to_first[k]] += p[k] / static_cast<float>(runs.size());
  }
  return mean;
}

std::string result_json(const EvalResult& r, const std::vector<std::string>& dirs, const ExperimentConfig& c,
                        const EvalOptions& o, const std::vector<std::string>& truths) {
  nlohmann::ordered_json j;
  j["runs"] = dirs;
  j["data"] = c.data.roots;
  j["part"] = kEvalParts[static_cast<int>(o.part)];
  j["mirror"] = o.mirror;
  j["shift"] = o.shift;
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

std::string describe_views(const EvalOptions& o) {
  const size_t views = test_views(o.mirror, o.shift).size();
  if (views == 1) return "";
  return "each image scored in " + std::to_string(views) + " views (the image" +
         (o.shift > 0 ? " and its moves by " + std::to_string(o.shift) + " pixels up, down, left and right" : "") +
         (o.mirror ? ", each also mirrored" : "") + ") and the views averaged";
}

namespace {
// Scores the ensemble's next member: the first on the chosen part, the
// others on the first's files, their classes in the first's order (the
// same classes are required). A line per model, with its time, when there
// are several: an ensemble in ten views takes minutes.
void add_member(std::vector<RunScores>& runs, FirstRun& first_run, const std::string& dir, size_t members,
                const EvalOptions& o, std::ostream& log, const Communicator& comm) {
  const auto start = std::chrono::steady_clock::now();
  if (members > 1) log << "model " << runs.size() + 1 << " of " << members << ": " << dir << std::endl;
  RunScores r = score_run(dir, o, runs.empty() ? nullptr : &first_run, log, comm);
  if (members > 1) {
    char took[64];
    std::snprintf(took, sizeof(took), "%.1f s",
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    log << "  " << r.rows.size() << " files scored in " << took << "\n";
  }
  if (runs.empty())
    for (size_t i : r.rows) first_run.files.insert(r.corpus.samples[i].path);
  r.to_first = class_positions(r.labels, runs.empty() ? r.labels : runs.front().labels);
  if (r.to_first.empty())
    throw std::runtime_error("the model of '" + dir + "' has other classes than that of '" + first_run.dir +
                             "'; an ensemble averages the same classes (in any order)");
  for (size_t k = 0; k < r.rows.size(); ++k) r.place[r.corpus.samples[r.rows[k]].path] = k;
  runs.push_back(std::move(r));
}

// The true and predicted class of every file of the first run's part, by
// the members' averaged probabilities. Classes go by name: the data set may
// have fewer (or, wrongly, other) labels than the model; files with a label
// the model does not know are counted in r.unknown and left out.
struct ScoredFiles {
  std::vector<int32_t> truth, predicted;
  std::vector<std::string> truths;
};
ScoredFiles score_files(const std::vector<RunScores>& runs, const std::vector<std::string>& dirs, EvalResult& r,
                        std::ostream& log) {
  const RunScores& first = runs.front();
  const std::vector<std::string>& labels = first.labels;
  ScoredFiles f;
  for (size_t i : first.rows) {
    const datasets::Sample& s = first.corpus.samples[i];
    const auto it = std::find(labels.begin(), labels.end(), s.label);
    if (it == labels.end()) {
      log << "  left out " << s.path << ": label '" << s.label << "' is not one the model knows\n";
      ++r.unknown;
      continue;
    }
    const std::vector<float> p = averaged(runs, s.path, dirs);
    f.truth.push_back(static_cast<int32_t>(it - labels.begin()));
    f.predicted.push_back(static_cast<int32_t>(std::max_element(p.begin(), p.end()) - p.begin()));
    r.predictions.emplace_back(s.path, labels[static_cast<size_t>(f.predicted.back())]);
    r.probabilities.push_back(p);
    f.truths.push_back(s.label);
  }
  return f;
}
}  // namespace

EvalResult evaluate_runs(const std::vector<std::string>& dirs, const EvalOptions& o, std::ostream& log,
                         const Communicator& comm) {
  if (dirs.empty()) throw std::runtime_error("give at least one run folder");
  std::vector<RunScores> runs;
  FirstRun first_run{dirs.front(), {}};
  for (const auto& dir : dirs) add_member(runs, first_run, dir, dirs.size(), o, log, comm);
  EvalResult r;
  const ScoredFiles f = score_files(runs, dirs, r, log);
  if (f.truth.empty()) throw std::runtime_error("no file of the data set has a label the model knows");
  r.metrics = evaluate(f.truth, f.predicted, runs.front().labels);
  r.files = static_cast<int64_t>(f.truth.size());
  r.json = result_json(r, dirs, runs.front().config, o, f.truths);
  r.config = runs.front().config;
  return r;
}

}  // namespace ser::experiments
