#include "experiments/runner.hpp"

#include <omp.h>
#include <sys/utsname.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>

#include "common/atomic_file.hpp"
#include "common/input_file.hpp"
#include "common/peak_memory.hpp"
#include "common/round_robin.hpp"
#include "datasets/audio_corpora.hpp"
#include "datasets/feature_cache.hpp"
#include "datasets/fer2013.hpp"
#include "datasets/labels.hpp"
#include "datasets/mnist.hpp"
#include "datasets/report.hpp"
#include "datasets/split.hpp"
#include "dsp/fixed_length.hpp"
#include "experiments/image_recipe.hpp"
#include "experiments/checkpoint.hpp"
#include "experiments/classical_fit.hpp"
#include "experiments/metrics.hpp"
#include "experiments/source_version.hpp"
#include "experiments/training_run.hpp"
#include "experiments/prepared_data.hpp"
#include "experiments/progress.hpp"
#include "experiments/shared_runs.hpp"
#include "experiments/wave_augmented_rows.hpp"
#include "nn/model_file.hpp"
#include "nn/ops.hpp"
#include "nn/optim/schedule.hpp"
#include "nn/threads/step_threads.hpp"
#include "nn/step_shards.hpp"
#include "nn/train.hpp"

namespace ser::experiments {

namespace fs = std::filesystem;

namespace {

// Loss and predictions of `model` on the rows `idx`, without a graph, in
// batches of the training batch's size (c.training.batch_size): a larger
// evaluation batch would raise the run's peak memory above what training
// needs. In a job of several ranks each rank scores every size()-th batch
// and all get every batch's loss and predictions, so the sums below run in
// batch order, as in one process.
std::pair<double, std::vector<int32_t>> run_eval(nn::Sequential& model, const PreparedData& p,
                                                 const std::vector<size_t>& idx, const ExperimentConfig& c,
                                                 nn::StepThreads& threads, const Communicator& comm) {
  const auto kBatch = static_cast<size_t>(c.training.batch_size);
  const size_t batches = (idx.size() + kBatch - 1) / kBatch;
  auto end_of = [&](size_t k) { return std::min(idx.size(), (k + 1) * kBatch); };
  const RoundRobin share(static_cast<int64_t>(batches), comm);
  std::vector<float> mine;  // per batch of this rank: its mean loss, then its predictions
  for (int64_t j = 0; j < share.count(); ++j) {
    const auto k = static_cast<size_t>(share.item(j));
    std::vector<int64_t> rows;
    std::vector<int32_t> y;
    for (size_t i = k * kBatch; i < end_of(k); ++i) {
      rows.push_back(static_cast<int64_t>(idx[i]));
      y.push_back(p.y[idx[i]]);
    }
    const nn::Tensor logits = threads.run([&](int n) { return model.predict(nn::gather_rows(p.x, p.sample_shape, rows), n); });
    mine.push_back(nn::softmax_cross_entropy(logits, y).item());
    for (int32_t c : nn::argmax_rows(logits)) mine.push_back(static_cast<float>(c));
  }
  auto width = [&](int64_t b) {  // the batch's loss and its predictions
    const auto k = static_cast<size_t>(b);
    return static_cast<int64_t>(1 + end_of(k) - k * kBatch);
  };
  const std::vector<float> all = share.gather(mine, width);
  std::vector<int32_t> predicted(idx.size());
  double loss = 0;
  auto at = all.begin();
  for (size_t k = 0; k < batches; ++k) {
    loss += *at++ * static_cast<double>(end_of(k) - k * kBatch);
    for (size_t i = k * kBatch; i < end_of(k); ++i) predicted[i] = static_cast<int32_t>(*at++);
  }
  return {idx.empty() ? 0.0 : loss / static_cast<double>(idx.size()), predicted};
}

std::vector<int32_t> labels_of(const PreparedData& p, const std::vector<size_t>& idx) {
  std::vector<int32_t> y;
  for (size_t i : idx) y.push_back(p.y[i]);
  return y;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}
}  // namespace

namespace {
// data.split.seed when given, else the run's seed.
uint64_t split_seed(const ExperimentConfig& c) {
  return c.data.split.seed >= 0 ? static_cast<uint64_t>(c.data.split.seed) : c.seed;
}

// The corpus's own parts: FER2013's train/ and test/ folders, or the CSV's
// Usage. data.split.validation carves a stratified, seeded share of the
// training part for validation; without it the CSV's PrivateTest rows are
// the validation part.
datasets::Split partition_split(const ExperimentConfig& c, const datasets::Corpus& corpus) {
  datasets::Split out;
  std::vector<size_t> private_test;
  for (size_t i = 0; i < corpus.samples.size(); ++i) {
    const std::string& p = corpus.samples[i].partition;
    if (p == "train" || p == "Training") out.train.push_back(i);
    else if (p == "test" || p == "PublicTest") out.test.push_back(i);
    else if (p == "PrivateTest") private_test.push_back(i);
  }
  if (out.train.empty() || out.test.empty())
    throw ConfigError(c.source + ": data.split.kind partition needs a corpus with its own train and test parts "
                      "(FER2013 folders or CSV)");
  const double share = c.data.split.validation;
  if (share <= 0) {
    out.validation = std::move(private_test);
    return out;
  }
  // Only the training part is split, so the test part stays exactly the corpus's.
  datasets::Corpus train;
  train.labels = corpus.labels;
  for (size_t i : out.train) train.samples.push_back(corpus.samples[i]);
  const datasets::Split inner = datasets::stratified_split(train, {1.0 - share, share, 0.0}, split_seed(c));
  datasets::Split split;
  for (size_t i : inner.train) split.train.push_back(out.train[i]);
  for (size_t i : inner.validation) split.validation.push_back(out.train[i]);
  split.test = std::move(out.test);
  std::sort(split.train.begin(), split.train.end());
  std::sort(split.validation.begin(), split.validation.end());
  return split;
}
}  // namespace

namespace {
// A fixed speaker split (train on OAF, test on YAF; validate on actors 11
// and 12): every named speaker must have files, or the config has a typo.
datasets::Split fixed_speaker_split(const ExperimentConfig& c, const datasets::Corpus& corpus) {
  const SplitConfig& s = c.data.split;
  std::set<std::string> speakers;
  for (const auto& sample : corpus.samples) speakers.insert(sample.speaker);
  for (const auto* list : {&s.test_speakers, &s.validation_speakers})
    for (const auto& name : *list)
      if (!speakers.count(name)) {
        std::string known;
        for (const auto& k : speakers) known += (known.empty() ? "" : ", ") + k;
        throw ConfigError(c.source + ": data.split names speaker '" + name + "', who has no file here (speakers: " +
                          known + ")");
      }
  const auto in = [](const std::vector<std::string>& list, const std::string& who) {
    return std::find(list.begin(), list.end(), who) != list.end();
  };
  datasets::Split out;
  for (size_t i = 0; i < corpus.samples.size(); ++i) {
    const std::string& who = corpus.samples[i].speaker;
    (in(s.test_speakers, who) ? out.test : in(s.validation_speakers, who) ? out.validation : out.train).push_back(i);
  }
  return out;
}
}  // namespace

datasets::Split split_for(const ExperimentConfig& c, const datasets::Corpus& given) {
  const SplitConfig& s = c.data.split;
  datasets::Corpus rows;
  if (c.augmentation.split_rows) {
    // The leaky recipe: every augmented row is its own unit, so copies of a
    // test file land in training. Kept to show the leak, never the default.
    rows = given;
    for (size_t i = 0; i < rows.samples.size(); ++i) {
      rows.samples[i].path.append(1, '#').append(std::to_string(i));
      rows.samples[i].source.clear();
    }
  }
  const datasets::Corpus& corpus = c.augmentation.split_rows ? rows : given;
  const datasets::Ratios r{s.train, s.validation, s.test};
  if (s.fixed_speakers()) return fixed_speaker_split(c, corpus);
  switch (s.kind) {
    case SplitKind::partition:
      return partition_split(c, corpus);
    case SplitKind::random:
      return datasets::stratified_split(corpus, r, split_seed(c));
    case SplitKind::speaker:
      return datasets::group_split(corpus, datasets::GroupBy::speaker, r, split_seed(c));
    case SplitKind::word:
      return datasets::group_split(corpus, datasets::GroupBy::word, r, split_seed(c));
    case SplitKind::kfold:
    case SplitKind::loso:
      break;
  }
  throw ConfigError(c.source + ": data.split.kind " + name_of(s.kind, kSplitKinds) + " runs several folds, not one split");
}

namespace {
TrainResult train_split(const ExperimentConfig& c, PreparedData p, const datasets::Split& split,
                        const std::string& run_dir, std::ostream& log, bool resume, const Communicator& comm);
TrainResult train_folds(const ExperimentConfig& c, const PreparedData& p, const std::string& run_dir,
                        std::ostream& log, bool resume, const Communicator& comm);

void add_steps(std::vector<int64_t>& total, const std::vector<int64_t>& more) {
  if (total.size() < more.size()) total.resize(more.size(), 0);
  for (size_t n = 0; n < more.size(); ++n) total[n] += more[n];
}

// run.json's "threads_used": how many training steps ran at each thread
// count (the count the run really used; with threads: 0 it follows the
// machine's load), from the invocation that finished the run.
void record_threads_used(const std::string& run_dir, const std::vector<int64_t>& steps_at) {
  const fs::path path = fs::path(run_dir) / "run.json";
  auto run = nlohmann::ordered_json::parse(read_input_file(path.string(), "run record", kMaxConfigBytes));
  nlohmann::ordered_json used = nlohmann::ordered_json::object();
  for (size_t n = steps_at.size(); n-- > 1;)
    if (steps_at[n] > 0) used[std::to_string(n)] = steps_at[n];
  run["threads_used"] = used;
  write_file_atomically(path.string(), run.dump(2) + "\n");
}

// RUN/config.yaml, config.resolved.yaml and run.json: the config as written and how it was run.
void write_run_record(const ExperimentConfig& c, const std::string& run_dir) {
  write_file_atomically((fs::path(run_dir) / "config.yaml").string(),
                        read_input_file(c.source, "config file", kMaxConfigBytes));
  if (!c.resolved_yaml.empty())  // what the run really used, for reading without applying run.json's overrides
    write_file_atomically((fs::path(run_dir) / "config.resolved.yaml").string(), c.resolved_yaml);
  utsname u{};
  ::uname(&u);
  nlohmann::ordered_json run;
  run["name"] = c.name;
  run["config"] = c.source;
  run["overrides"] = c.overrides;
  run["seed"] = c.seed;
  // Asked for: 0 lets each step's count follow the machine's load (up to every
  // core); "threads_used" is added when the run ends.
  run["threads"] = c.threads;
  run["cores"] = omp_get_max_threads();
  run["git_commit"] = source_version().git_commit;
  run["git_dirty"] = source_version().modified;
  run["machine"] = {{"system", u.sysname}, {"release", u.release}, {"arch", u.machine}, {"cpu", cpu_model()}};
  run["compiler"] = __VERSION__;
  write_file_atomically((fs::path(run_dir) / "run.json").string(), run.dump(2) + "\n");
}
}  // namespace

TrainResult train_experiment(const ExperimentConfig& c, const std::string& run_dir, std::ostream& log,
                             const std::string& cache_dir, RunStart start, const Communicator& comm) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string cache = cache_dir.empty() ? (fs::path(run_dir).parent_path() / "cache").string() : cache_dir;
  const bool resume = start == RunStart::resume;
  // Rank 0 takes the run folder (held, locked, until the run ends) and
  // writes the run's record; the other ranks start once it has.
  std::optional<RunFolder> folder;
  if (comm.is_root()) {
    folder.emplace(run_dir, start);
    if (!resume) write_run_record(c, run_dir);  // kept as it is on resume
  }
  comm.barrier();

  PreparedData p = c.data.images ? prepare_images(c)
                                 : prepare_audio(load_audio_corpora(c, log), c.features, cache, c.threads, log, comm);
  const auto t_features = std::chrono::steady_clock::now();
  TrainResult result;
  if (c.data.split.runs_folds()) {
    result = train_folds(c, p, run_dir, log, resume, comm);
  } else {
    const datasets::Split split = split_for(c, p.corpus);
    result = train_split(c, std::move(p), split, run_dir, log, resume, comm);
  }
  result.run_dir = run_dir;
  if (!comm.is_root()) return result;
  const auto t_end = std::chrono::steady_clock::now();
  nlohmann::ordered_json timings;
  timings["features_seconds"] = std::chrono::duration<double>(t_features - t0).count();
  timings["total_seconds"] = std::chrono::duration<double>(t_end - t0).count();
  // The whole process's peak, features and evaluation included; the ranks of a job each have their own.
  timings["peak_resident_mib"] = std::round(peak_resident_mib() * 10) / 10;
  write_file_atomically((fs::path(run_dir) / "timings.json").string(), timings.dump(2) + "\n");
  record_threads_used(run_dir, result.steps_at_threads);
  result.seconds = timings["total_seconds"].get<double>();
  return result;
}

namespace {

// Scaling, fitted on the training rows only; the model file keeps the statistics.
ModelInput fit_scaling(const ModelInput& features, const datasets::Split& split, PreparedData& p) {
  ModelInput input = features;
  const int64_t D = p.sample_shape.numel();
  std::vector<float> train_rows;
  if (input.scaling == Scaling::standardize)
    for (size_t i : split.train)
      train_rows.insert(train_rows.end(), p.x.begin() + static_cast<int64_t>(i) * D,
                        p.x.begin() + static_cast<int64_t>(i + 1) * D);
  input.fit(train_rows);
  scale_prepared(input, p);
  return input;
}

// sklearn's "balanced" weights, from the training rows: n / (classes x count).
std::vector<float> balanced_class_weights(const PreparedData& p, const datasets::Split& split) {
  std::vector<double> count(p.corpus.labels.size(), 0.0);
  for (size_t i : split.train) count[static_cast<size_t>(p.y[i])] += 1;
  std::vector<float> weights;
  for (double n : count)
    weights.push_back(n > 0 ? static_cast<float>(static_cast<double>(split.train.size()) /
                                                 (static_cast<double>(count.size()) * n))
                            : 0.0f);
  return weights;
}

// Training that produced NaN or infinity is stopped, not reported.
void check_finite_weights(nn::Sequential& model, int epoch) {
  for (const auto& t : model.parameters())
    for (float v : t.tensor.values())
      if (!std::isfinite(v))
        throw TrainingError("epoch " + std::to_string(epoch) + ": parameter " + t.name +
                            " is no longer finite; the run is stopped. Lower training.optimizer.lr, set "
                            "training.clip_norm, or check the features for extreme values");
}

// Continues `run` from its checkpoint, after checking the checkpoint against it.
void resume_run(TrainingRun& run, const std::string& checkpoint_path, const CheckpointKey& key,
                const ExperimentConfig& c, const datasets::Split& split, std::ostream& log) {
  if (!fs::exists(checkpoint_path)) {
    log << "no checkpoint yet: training from the start\n";
    return;
  }
  auto [found, saved] = read_checkpoint(checkpoint_path);
  ResumeTarget target{key, c.training.epochs, split.train, {}};
  for (auto* v : run.optimizer->state()) target.optimizer_sizes.push_back(v->size());
  resume_into(checkpoint_path, found, saved, target, run.model);
  run.restore(std::move(saved));
  log << "resuming after epoch " << run.progress.epoch << "\n";
}

struct EpochScores {
  double loss = 0, accuracy = 0;
};

// Mean loss and accuracy of `model` on the rows `idx` (NaN for none): validation, a fitted model's training rows.
EpochScores scores_on(nn::Sequential& model, const PreparedData& p, const std::vector<size_t>& idx,
                      const ExperimentConfig& c, nn::StepThreads& threads, const Communicator& comm) {
  if (idx.empty()) return {NAN, NAN};
  const auto [loss, predicted] = run_eval(model, p, idx, c, threads, comm);
  return {loss, evaluate(labels_of(p, idx), predicted, p.corpus.labels).accuracy};
}

// A training batch of images, each redrawn by augmentation.image from its
// own generator (seed, epoch, row): the same images on any thread count and
// after a resume.
void augment_images(nn::Tensor& x, const std::vector<int64_t>& rows, const ExperimentConfig& c, int epoch) {
  const datasets::ImageAugment& a = c.augmentation.image;
  if (a.identity()) return;
  const int64_t h = x.dim(x.rank() - 2), w = x.dim(x.rank() - 1), size = x.numel() / x.dim(0);
  for (size_t i = 0; i < rows.size(); ++i) {
    Rng rng = datasets::image_augment_rng(c.seed, epoch, static_cast<uint64_t>(rows[i]));
    for (int64_t plane = 0; plane < size / (h * w); ++plane)
      a.apply(x.data() + static_cast<int64_t>(i) * size + plane * h * w, h, w, rng);
  }
}

// SpecAugment's masks on a training batch of feature inputs, each sample's
// from its own generator (seed, epoch, row), as augment_images.
void augment_features(nn::Tensor& x, const std::vector<int64_t>& rows, const ExperimentConfig& c, int epoch) {
  const datasets::SpecAugment& a = c.augmentation.spec;
  if (a.identity() || c.data.images) return;
  const int64_t F = c.features.feature_rows(), T = c.features.frames, size = x.numel() / x.dim(0);
  // image [1, F, T] is feature-major; sequence [T, F] and flat are time-major (config refuses the others).
  const bool time_major = c.features.layout != Layout::image;
  for (size_t i = 0; i < rows.size(); ++i) {
    Rng rng = datasets::spec_augment_rng(c.seed, epoch, static_cast<uint64_t>(rows[i]));
    a.apply(x.data() + static_cast<int64_t>(i) * size, F, T, time_major, rng);
  }
}

// A training step's options from the config; with mixup, the batch `x` is
// blended in place from the batch's own generator (seed, epoch, batch) and
// `mix` keeps the draw the options point into.
nn::StepOptions step_options(nn::Tensor& x, const ExperimentConfig& c, int epoch, size_t batch_number,
                             const std::vector<float>& class_weights, datasets::Mixup::Draw& mix) {
  nn::StepOptions o;
  o.class_weights = class_weights;
  o.clip_norm = static_cast<float>(c.training.clip_norm);
  o.label_smoothing = static_cast<float>(c.training.label_smoothing);
  if (c.augmentation.mixup.identity()) return o;
  Rng rng = datasets::mixup_rng(c.seed, epoch, batch_number);
  mix = c.augmentation.mixup.apply(x.data(), x.dim(0), x.numel() / x.dim(0), rng);
  o.mix_partner = mix.partner;
  o.mix_weight = static_cast<float>(mix.lambda);
  return o;
}

// One pass over the training rows (`x`: every row's input, the training
// rows as this epoch draws them) in a fresh shuffled order.
EpochScores train_epoch(TrainingRun& run, const ExperimentConfig& c, const PreparedData& p, std::span<const float> x_all,
                        int epoch, const std::vector<float>& class_weights, nn::StepThreads& threads,
                        nn::StepShards* shards) {
  std::vector<size_t>& order = run.progress.order;
  run.shuffle.shuffle(order);
  double loss = 0;
  int64_t correct = 0, seen = 0;
  ProgressBar bar("epoch " + std::to_string(epoch) + "/" + std::to_string(c.training.epochs), /*plain_lines=*/false);
  const size_t batch = static_cast<size_t>(c.training.batch_size);
  for (size_t b = 0; b < order.size(); b += batch) {
    std::vector<int64_t> rows;
    std::vector<int32_t> y;
    for (size_t i = b; i < std::min(order.size(), b + batch); ++i) {
      rows.push_back(static_cast<int64_t>(order[i]));
      y.push_back(p.y[order[i]]);
    }
    nn::Tensor x = nn::gather_rows(x_all, p.sample_shape, rows);
    augment_images(x, rows, c, epoch);
    augment_features(x, rows, c, epoch);
    datasets::Mixup::Draw mix;
    nn::StepOptions options = step_options(x, c, epoch, b / batch + 1, class_weights, mix);
    // Data-parallel: every rank made the whole batch (its draws are the
    // batch's, wherever they run) and computes on its shards of it.
    options.shards = shards;
    const nn::StepResult s =
        threads.run([&](int n) { return nn::train_step(run.model, *run.optimizer, x, y, run.dropout, n, options); });
    if (!std::isfinite(s.loss))
      throw TrainingError("epoch " + std::to_string(epoch) + ", batch " + std::to_string(b / batch + 1) + " of " +
                          std::to_string((order.size() + batch - 1) / batch) + ": the training loss is " +
                          (std::isnan(s.loss) ? "NaN" : "infinite") +
                          "; the run is stopped. Lower training.optimizer.lr, set training.clip_norm, or check "
                          "the features for extreme values");
    loss += s.loss * static_cast<double>(rows.size());
    correct += s.correct;
    seen += static_cast<int64_t>(rows.size());
    char detail[64];
    std::snprintf(detail, sizeof(detail), "loss %.4f  accuracy %.4f", loss / static_cast<double>(seen),
                  static_cast<double>(correct) / static_cast<double>(seen));
    bar.update(seen, static_cast<int64_t>(order.size()), detail);
  }
  bar.finish();
  check_finite_weights(run.model, epoch);
  return {loss / static_cast<double>(order.size()), static_cast<double>(correct) / static_cast<double>(order.size())};
}

// Validation scores (NaN without a validation split); keeps the best model.
EpochScores validate_epoch(TrainingRun& run, const ExperimentConfig& c, const PreparedData& p,
                           const datasets::Split& split, nn::StepThreads& threads, const Communicator& comm) {
  const EpochScores scores = scores_on(run.model, p, split.validation, c, threads, comm);
  if (split.validation.empty()) return scores;
  const double acc = scores.accuracy;
  if (acc > run.progress.best_val) {
    run.progress.best_val = acc;
    run.progress.since_best = 0;
    if (c.training.best_on_validation) run.progress.best_model = nn::serialize_model(run.model);
  } else {
    ++run.progress.since_best;
  }
  return scores;
}

void record_epoch(TrainingRun& run, const ExperimentConfig& c, int epoch, const EpochScores& train,
                  const EpochScores& val, double seconds, std::ostream& log) {
  std::ostringstream row;
  row << epoch << "," << train.loss << "," << train.accuracy << "," << val.loss << "," << val.accuracy << ","
      << run.optimizer->learning_rate() << "," << std::fixed << std::setprecision(3) << seconds << "\n";
  run.progress.history += row.str();
  log << "epoch " << epoch << "/" << c.training.epochs << "  loss " << train.loss << "  accuracy " << train.accuracy;
  if (!std::isnan(val.accuracy)) log << "  val_loss " << val.loss << "  val_accuracy " << val.accuracy;
  log << "  " << seconds << " s\n" << std::flush;
}

// metrics.json of the kept model: "test" and "validation" hold the files
// themselves; augmented copies are training material, and with copies kept
// beside their source they would only repeat a file's verdict.
// "test_with_copies" scores every test row (what the notebooks report);
// "test_<corpus>", "test_<gender>" and "test_intensity_<intensity>" score the
// test files of each corpus, gender and intensity when there are several.
//
// The test set's rows of each value of `field` (corpus, gender, intensity) as
// sections of their own, when the test set holds more than one value.
void add_group_sections(std::vector<std::pair<std::string, std::vector<size_t>>>& sections,
                        const datasets::Corpus& corpus, std::string datasets::Sample::*field,
                        const std::string& prefix) {
  std::map<std::string, std::vector<size_t>> parts;
  for (size_t i : sections.front().second) parts[corpus.samples[i].*field].push_back(i);
  if (parts.size() < 2) return;
  for (auto& [value, rows] : parts)
    if (!value.empty()) sections.emplace_back(prefix + value, std::move(rows));
}

TrainResult write_metrics(nn::Sequential& kept, const ExperimentConfig& c, const PreparedData& p,
                          const datasets::Split& split, const std::string& run_dir, nn::StepThreads& threads,
                          std::ostream& log, const Communicator& comm) {
  auto originals = [&](const std::vector<size_t>& idx) {
    std::vector<size_t> out;
    for (size_t i : idx)
      if (p.corpus.samples[i].augmentation.empty()) out.push_back(i);
    return out;
  };
  std::vector<std::pair<std::string, std::vector<size_t>>> sections = {{"test", originals(split.test)},
                                                                        {"validation", originals(split.validation)}};
  TrainResult result;
  for (size_t i : sections.front().second) result.test_files.push_back(p.corpus.samples[i].path);
  if (!c.augmentation.copies.empty()) sections.emplace_back("test_with_copies", split.test);
  add_group_sections(sections, p.corpus, &datasets::Sample::corpus, "test_");
  if (!c.data.gender_labels()) add_group_sections(sections, p.corpus, &datasets::Sample::gender, "test_");
  add_group_sections(sections, p.corpus, &datasets::Sample::intensity, "test_intensity_");
  nlohmann::ordered_json metrics;
  for (const auto& [name, idx] : sections) {
    if (idx.empty()) continue;
    const Metrics m = evaluate(labels_of(p, idx), run_eval(kept, p, idx, c, threads, comm).second,
                               p.corpus.labels);
    metrics[name] = nlohmann::ordered_json::parse(metrics_json(m));
    if (name == "test") {
      result.test_accuracy = m.accuracy;
      result.test_macro_f1 = m.macro.f1;
      log << "\ntest: accuracy " << m.accuracy << ", macro-F1 " << m.macro.f1 << "\n" << classification_report(m);
    } else if (name != "validation") {
      log << name << ": accuracy " << m.accuracy << ", macro-F1 " << m.macro.f1 << " (" << idx.size() << " rows)\n";
    }
  }
  if (comm.is_root()) write_file_atomically((fs::path(run_dir) / "metrics.json").string(), metrics.dump(2) + "\n");
  return result;
}

// model.kind logistic, linear_svm or knn: fitted once on the training rows,
// then saved and scored as a network would be. history.csv holds one row:
// the fitted model's training and validation scores.
TrainResult fit_classical_split(const ExperimentConfig& c, const PreparedData& p, const datasets::Split& split,
                                const std::string& feature_settings, const std::string& run_dir, std::ostream& log,
                                const Communicator& comm) {
  const auto t0 = std::chrono::steady_clock::now();
  nn::StepThreads threads(c.threads);
  nn::Sequential model = fit_classical(c, p, split.train, threads.threads(), log);
  model.labels = p.corpus.labels;
  model.feature_settings = feature_settings;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const EpochScores train = scores_on(model, p, split.train, c, threads, comm);
  const EpochScores val = scores_on(model, p, split.validation, c, threads, comm);
  std::ostringstream history;
  history << kHistoryHeader << "1," << train.loss << ","
          << train.accuracy << "," << val.loss << "," << val.accuracy << ",0," << std::fixed << std::setprecision(3)
          << seconds << "\n";
  log << "fitted: training accuracy " << train.accuracy;
  if (!std::isnan(val.accuracy)) log << ", validation accuracy " << val.accuracy;
  log << "\n";
  if (comm.is_root()) {
    write_file_atomically((fs::path(run_dir) / "history.csv").string(), history.str());
    nn::save_model(model, (fs::path(run_dir) / "model.sermodel").string());
  }
  return write_metrics(model, c, p, split, run_dir, threads, log, comm);
}

// A data-parallel job's ranks each need a shard of every batch.
void check_shard_count(const ExperimentConfig& c, const Communicator& comm) {
  if (c.training.shards >= comm.size()) return;
  throw ConfigError(c.source + ": training.shards is " + std::to_string(c.training.shards) + ", but " +
                    std::to_string(comm.size()) + " ranks each need a shard of every batch; set --set "
                    "training.shards=" + std::to_string(comm.size()) + " (or a multiple: one process with the same "
                    "setting gives the same bytes)");
}

// Rank 0 makes the run folder and writes data.json: what the run trained
// and tested on, per class and side (the report's class chart).
void start_run_folder(const PreparedData& p, const datasets::Split& split, const std::string& run_dir,
                      const Communicator& comm) {
  if (!comm.is_root()) return;
  fs::create_directories(run_dir);
  remove_stale_temporaries(run_dir);
  write_file_atomically((fs::path(run_dir) / "data.json").string(), datasets::report_json(p.corpus, &split) + "\n");
}

// The recipe the model file carries, so that predict reads inputs as training did.
std::string feature_settings_of(const ExperimentConfig& c, const PreparedData& p, const ModelInput& input) {
  if (!c.data.images) return input.to_text();
  return ImageRecipe{static_cast<int>(p.sample_shape[1]), static_cast<int>(p.sample_shape[2])}.to_text();
}

// The model learns the data's labels and recipe; its last layer must give one output per class.
void label_model(TrainingRun& run, const ExperimentConfig& c, const PreparedData& p, std::string feature_settings) {
  run.model.labels = p.corpus.labels;
  run.model.feature_settings = std::move(feature_settings);
  if (run.model.output_shape().numel() != static_cast<int64_t>(p.corpus.labels.size()))
    throw ConfigError(c.source + ": the model's last layer gives " + std::to_string(run.model.output_shape().numel()) +
                      " outputs but the data has " + std::to_string(p.corpus.labels.size()) + " classes");
}

// After epoch `epoch`: rank 0 writes the checkpoint when one is due, every
// training.checkpoint_every epochs and at an early stop, which is final:
// its checkpoint says the run is done.
void checkpoint_epoch(TrainingRun& run, const ExperimentConfig& c, const CheckpointKey& key, const std::string& path,
                      int epoch, bool stop, const Communicator& comm) {
  if (!comm.is_root() || c.training.checkpoint_every <= 0) return;
  if (epoch % c.training.checkpoint_every != 0 && !stop) return;
  write_file_atomically(path, encode_checkpoint(key, run.snapshot(stop ? c.training.epochs : epoch)));
}

// What every epoch of one split reads besides the run and its data.
struct EpochInputs {
  WaveAugmentedRows* wave;  // audio redrawn every epoch, or null
  const std::vector<float>& class_weights;
  nn::StepThreads& threads;
  nn::StepThreads& eval_threads;
  nn::StepShards* shards;  // data-parallel (or cut batches in one process), or null
  const CheckpointKey& key;
  const std::string& checkpoint_path;
};

// The epochs still to run, all of them or those after a checkpoint: each
// trains, validates, is recorded, sets the next rate and is checkpointed;
// early stopping may end them sooner.
void run_epochs(TrainingRun& run, const ExperimentConfig& c, const PreparedData& p, const datasets::Split& split,
                const EpochInputs& in, std::ostream& log, const Communicator& comm) {
  for (int epoch = run.progress.epoch + 1; epoch <= c.training.epochs; ++epoch) {
    const auto e0 = std::chrono::steady_clock::now();
    const std::span<const float> x = in.wave ? in.wave->rows(epoch, log, comm) : std::span<const float>(p.x);
    const EpochScores train = train_epoch(run, c, p, x, epoch, in.class_weights, in.threads, in.shards);
    const EpochScores val = validate_epoch(run, c, p, split, in.eval_threads, comm);
    record_epoch(run, c, epoch, train, val,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - e0).count(), log);
    run.optimizer->set_learning_rate(run.schedule.after_epoch(epoch, val.loss, run.optimizer->learning_rate()));
    run.progress.epoch = epoch;
    const bool stop =
        c.training.early_stopping_patience > 0 && run.progress.since_best >= c.training.early_stopping_patience;
    checkpoint_epoch(run, c, in.key, in.checkpoint_path, epoch, stop, comm);
    if (stop) {
      log << "early stopping: no validation improvement for " << run.progress.since_best << " epochs\n";
      return;
    }
  }
}

// The model a run keeps: its best validation epoch's, or the last one's
// when nothing was validated (a copy: the run's own model is left as it is).
nn::Sequential kept_model(TrainingRun& run) {
  if (run.progress.best_model.empty()) return nn::deserialize_model(nn::serialize_model(run.model), "memory");
  return nn::deserialize_model(run.progress.best_model, "memory");
}

// One split: scaling fitted on its training rows, training, the model kept,
// metrics.json and history.csv in `run_dir`. In a job of several ranks
// (data-parallel, every rank calls it) each rank holds the whole model and
// takes every step on its shards of each batch; rank 0 writes the files.
TrainResult train_split(const ExperimentConfig& c, PreparedData p, const datasets::Split& split,
                        const std::string& run_dir, std::ostream& log, bool resume, const Communicator& comm) {
  check_shard_count(c, comm);
  start_run_folder(p, split, run_dir, comm);
  log << p.corpus.samples.size() << " samples of shape " << p.sample_shape.str() << "; split " << split.train.size()
      << " / " << split.validation.size() << " / " << split.test.size() << "\n";
  if (split.train.empty()) throw ConfigError(c.source + ": the split leaves no training samples");
  std::vector<float> unscaled;
  if (!c.augmentation.wave.identity()) unscaled = p.x;
  const ModelInput input = c.data.images ? c.features : fit_scaling(c.features, split, p);
  if (c.model.classical())
    return fit_classical_split(c, p, split, feature_settings_of(c, p, input), run_dir, log, comm);
  std::unique_ptr<WaveAugmentedRows> wave;
  if (!c.augmentation.wave.identity())
    wave = std::make_unique<WaveAugmentedRows>(c.augmentation.wave, input, p.corpus, std::move(unscaled), p.x,
                                               split.train, c.seed, c.threads, log);
  const std::vector<float> class_weights =
      c.training.class_weights ? balanced_class_weights(p, split) : std::vector<float>{};

  TrainingRun run(c, p.sample_shape, split.train);
  label_model(run, c, p, feature_settings_of(c, p, input));
  // threads: 0 lets ser pick each step's thread count (fewer while other
  // programs keep the cores busy); no bit of the results depends on it.
  // Evaluation batches take other times than training steps: their own.
  nn::StepThreads threads(c.threads), eval_threads(c.threads);
  const CheckpointKey key{c.fingerprint, data_fingerprint(p.corpus, split, c.data.roots)};
  const std::string checkpoint_path = (fs::path(run_dir) / "checkpoint.bin").string();
  if (resume) resume_run(run, checkpoint_path, key, c, split, log);
  std::optional<nn::StepShards> shards;  // data-parallel (or cut batches in one process)
  if (c.training.shards > 1 || comm.distributed()) shards.emplace(c.training.shards, comm);

  run_epochs(run, c, p, split,
             {wave.get(), class_weights, threads, eval_threads, shards ? &*shards : nullptr, key, checkpoint_path}, log,
             comm);
  if (threads.adaptive() && threads.chooser()->comparisons() > 0)
    log << "the machine was busy: training steps ran on " << threads.describe() << " (compared "
        << threads.chooser()->comparisons() << " times; the results are the same on any count)\n";
  // history.csv has a seconds column; metrics.json has no timings, so it compares byte for byte.
  if (comm.is_root()) write_file_atomically((fs::path(run_dir) / "history.csv").string(), run.progress.history);
  nn::Sequential kept = kept_model(run);
  if (comm.is_root()) nn::save_model(kept, (fs::path(run_dir) / "model.sermodel").string());
  TrainResult result = write_metrics(kept, c, p, split, run_dir, eval_threads, log, comm);
  result.steps_at_threads = threads.steps_at();
  return result;
}

}  // namespace

namespace {
// k-fold or leave-one-speaker-out: one sub-run per fold (RUN/fold_01, ...),
// then the mean and spread of the folds' test scores in RUN/metrics.json.
// Resuming skips finished folds and continues the interrupted one. In a job
// of several ranks the folds are shared out (experiments/shared_runs.hpp).
std::vector<datasets::Split> folds_of(const ExperimentConfig& c, const datasets::Corpus& corpus) {
  const SplitConfig& s = c.data.split;
  const datasets::GroupBy by = s.by == SplitBy::speaker  ? datasets::GroupBy::speaker
                               : s.by == SplitBy::word   ? datasets::GroupBy::word
                               : s.by == SplitBy::gender ? datasets::GroupBy::gender
                                                         : datasets::GroupBy::none;
  const bool kfold = s.kind == SplitKind::kfold;
  try {
    return kfold ? datasets::kfold(corpus, s.folds, split_seed(c), by) : datasets::leave_one_group_out(corpus, by);
  } catch (const std::invalid_argument& e) {  // more folds than files or groups: the config's to fix
    throw ConfigError(c.source + ": data.split" + (kfold ? ".folds" : ".by") + ": " + e.what());
  }
}

// A fold's result: trained now, or read back from a fold finished before an interruption.
TrainResult fold_result(const ExperimentConfig& c, const PreparedData& p, const datasets::Split& fold,
                        const std::string& dir, bool resume, std::ostream& log) {
  const fs::path metrics_path = fs::path(dir) / "metrics.json";
  if (!resume || !fs::exists(metrics_path)) {
    const auto t0 = std::chrono::steady_clock::now();
    // A fold runs in one process (the ranks share the folds, not a fold's batches).
    TrainResult r =
        train_split(c, p, fold, dir, log, resume && fs::exists(fs::path(dir) / "checkpoint.bin"), Communicator{});
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  }
  std::ifstream in(metrics_path);
  const auto m = nlohmann::json::parse(in);
  TrainResult r;
  r.test_accuracy = m.at("test").at("accuracy").get<double>();
  r.test_macro_f1 = m.at("test").at("macro_f1").get<double>();
  log << "already done\n";
  return r;
}

// The group a leave-one-out fold tests on (a speaker, word or gender); empty for k-fold.
std::string held_out_group(const ExperimentConfig& c, const PreparedData& p, const datasets::Split& fold) {
  const SplitConfig& s = c.data.split;
  if (s.kind == SplitKind::kfold || fold.test.empty()) return "";
  const auto& sample = p.corpus.samples[fold.test.front()];
  return s.by == SplitBy::word ? sample.word : s.by == SplitBy::gender ? sample.gender : sample.speaker;
}

// The folds' test accuracy and macro-F1: mean and spread.
struct FoldScores {
  MeanSd accuracy, macro_f1;
};
FoldScores fold_scores(const std::vector<TrainResult>& results) {
  std::vector<double> acc, f1;
  for (const TrainResult& r : results) {
    acc.push_back(r.test_accuracy);
    f1.push_back(r.test_macro_f1);
  }
  return {mean_sd(acc), mean_sd(f1)};
}

// RUN/metrics.json of a run of folds: each fold's test scores, then their
// mean and spread under "test".
nlohmann::ordered_json folds_summary(const ExperimentConfig& c, const std::vector<datasets::Split>& folds,
                                     const std::vector<SharedRun>& runs, const std::vector<std::string>& held_out,
                                     const std::vector<TrainResult>& results, const FoldScores& scores) {
  const SplitConfig& s = c.data.split;
  const std::string by_name = name_of(s.by, kSplitBys);
  nlohmann::ordered_json summary;
  summary["split"] = s.kind == SplitKind::kfold
                         ? std::to_string(folds.size()) + "-fold" + (s.by == SplitBy::none ? "" : " by " + by_name)
                         : "leave one " + by_name + " out";
  summary["folds"] = nlohmann::ordered_json::array();
  for (size_t k = 0; k < folds.size(); ++k) {
    nlohmann::ordered_json f;
    f["fold"] = fs::path(runs[k].dir).filename().string();
    if (!held_out[k].empty()) f["test_group"] = held_out[k];
    f["test_files"] = folds[k].test.size();
    f["accuracy"] = results[k].test_accuracy;
    f["macro_f1"] = results[k].test_macro_f1;
    summary["folds"].push_back(f);
  }
  const MeanSd &a = scores.accuracy, &m = scores.macro_f1;
  summary["test"] = {{"accuracy", a.mean}, {"accuracy_std", a.sd}, {"macro_f1", m.mean}, {"macro_f1_std", m.sd}};
  return summary;
}

TrainResult train_folds(const ExperimentConfig& c, const PreparedData& p, const std::string& run_dir, std::ostream& log,
                        bool resume, const Communicator& comm) {
  const std::vector<datasets::Split> folds = folds_of(c, p.corpus);
  std::vector<SharedRun> runs;
  std::vector<std::string> held_out(folds.size());
  for (size_t k = 0; k < folds.size(); ++k) {
    char name[32];
    std::snprintf(name, sizeof(name), "fold_%02zu", k + 1);
    held_out[k] = held_out_group(c, p, folds[k]);
    const std::string dir = (fs::path(run_dir) / name).string();
    runs.push_back({std::string(name) + " of " + std::to_string(folds.size()) +
                        (held_out[k].empty() ? "" : " (test: " + held_out[k] + ")"),
                    dir, [&, k, dir](std::ostream& fold_log) {
                      return fold_result(c, p, folds[k], dir, resume, fold_log);
                    }});
  }
  const std::vector<TrainResult> results = run_shared(comm, runs, log);
  TrainResult result;
  if (!comm.is_root()) return result;
  for (const TrainResult& r : results) add_steps(result.steps_at_threads, r.steps_at_threads);
  const FoldScores scores = fold_scores(results);
  const nlohmann::ordered_json summary = folds_summary(c, folds, runs, held_out, results, scores);
  write_file_atomically((fs::path(run_dir) / "metrics.json").string(), summary.dump(2) + "\n");
  result.test_accuracy = scores.accuracy.mean;
  result.test_macro_f1 = scores.macro_f1.mean;
  log << "\n"
      << folds.size() << " folds: accuracy " << scores.accuracy.mean << " +- " << scores.accuracy.sd << ", macro-F1 "
      << scores.macro_f1.mean << " +- " << scores.macro_f1.sd << "\n";
  return result;
}

}  // namespace

ExperimentConfig load_run_config(const std::string& run_dir, const std::string& data_dir) {
  const std::string run_json = (fs::path(run_dir) / "run.json").string();
  if (!fs::exists(run_json))
    throw std::runtime_error("'" + run_dir + "' is not a run directory (no run.json); give the folder `ser train` wrote");
  std::vector<std::string> overrides;
  std::string source;
  try {
    const nlohmann::json run = nlohmann::json::parse(read_input_file(run_json, "run record", kMaxConfigBytes));
    overrides = run.value("overrides", std::vector<std::string>{});
    source = run.value("config", std::string());
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("'" + run_json + "' is damaged (" + e.what() + "); the run cannot be read back");
  }
  ExperimentConfig c = load_config((fs::path(run_dir) / "config.yaml").string(), overrides, data_dir);
  if (!source.empty()) c.source = source;
  return c;
}

TrainResult resume_experiment(const std::string& run_dir, std::ostream& log, const std::string& data_dir,
                              const std::string& cache_dir, const Communicator& comm) {
  return train_experiment(load_run_config(run_dir, data_dir), run_dir, log, cache_dir, RunStart::resume, comm);
}

}  // namespace ser::experiments
