#pragma once
// Experiment configs: one YAML file describes an experiment. Parsing is
// strict and happens before any data is touched: an unknown key (with the
// closest known one suggested), a value of the wrong type, a missing field
// or a model whose shapes cannot work is reported as `file:line: what`,
// naming the layer at fault.

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "datasets/augmentation.hpp"
#include "datasets/image_augment.hpp"
#include "datasets/mixup.hpp"
#include "datasets/spec_augment.hpp"
#include "datasets/wave_augment.hpp"
#include "common/settings.hpp"
#include "dsp/feature_spec.hpp"
#include "experiments/model_input.hpp"
#include "nn/layers/layer_spec.hpp"
#include "nn/shape.hpp"

namespace ser::experiments {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Choices inside are enums; their names (configs, run files, messages) are
// these arrays, in the enums' order, and nowhere else.
enum class SplitKind { random, speaker, word, kfold, loso, partition };
inline constexpr const char* kSplitKinds[] = {"random", "speaker", "word", "kfold", "loso", "partition"};
enum class SplitBy { none, speaker, word, gender };
inline constexpr const char* kSplitBys[] = {"none", "speaker", "word", "gender"};
enum class LabelSet { emotion, speaker_emotion, common, gender, gender_emotion };
inline constexpr const char* kLabelSets[] = {"emotion", "speaker_emotion", "common", "gender", "gender_emotion"};
// data.intensity: RAVDESS's normal/strong, CREMA-D's levels; all keeps every file.
enum class IntensityFilter { all, normal, strong, low, medium, high, unspecified };
inline constexpr const char* kIntensityFilters[] = {"all", "normal", "strong", "low", "medium", "high", "unspecified"};
// data.statement: RAVDESS's "Kids are talking by the door" / "Dogs are sitting by the door".
enum class StatementFilter { all, kids, dogs };
inline constexpr const char* kStatementFilters[] = {"all", "kids", "dogs"};
enum class CalmPolicy { neutral, keep, drop };
inline constexpr const char* kCalmPolicies[] = {"neutral", "keep", "drop"};
enum class OptimizerKind { adam, sgd, rmsprop };
inline constexpr const char* kOptimizers[] = {"adam", "sgd", "rmsprop"};
enum class ScheduleKind { none, step, plateau, cosine };
inline constexpr const char* kSchedules[] = {"none", "step", "plateau", "cosine"};

// model.kind: a network of model.layers, trained by epochs, or a classical
// baseline fitted to its optimum (nn/classical, nn/layers/knn.hpp).
enum class ModelKind { network, logistic, linear_svm, knn };
inline constexpr const char* kModelKinds[] = {"network", "logistic", "linear_svm", "knn"};

struct ClassicalConfig {
  ModelKind kind = ModelKind::network;
  double C = 1.0;      // logistic, linear_svm: inverse regularisation strength (scikit-learn's C)
  int k = 5;           // knn: neighbours
  int max_iter = 1000;  // logistic: L-BFGS iterations; linear_svm: passes over the rows
  void register_settings(Settings& s);
  bool classical() const { return kind != ModelKind::network; }
};

struct SplitConfig {
  SplitKind kind = SplitKind::random;  // partition: the corpus's own train/test
  double train = 0.75, validation = 0.0, test = 0.25;
  int folds = 5;
  int seed = -1;  // the split's own seed; -1: the run's (seeds that share a split make an honest ensemble)
  SplitBy by = SplitBy::none;              // kfold: none (stratified) | speaker | word; loso: speaker | word
  std::vector<std::string> test_speakers;  // a fixed speaker split (e.g. train OAF, test YAF)
  // ... and its validation speakers: settings are chosen on them, never on the test speakers.
  std::vector<std::string> validation_speakers;
  void register_settings(Settings& s);     // all but the speaker lists
  bool fixed_speakers() const { return !test_speakers.empty() || !validation_speakers.empty(); }
  // k-fold or leave-one-out: several sub-runs, no single test set.
  bool runs_folds() const {
    return (kind == SplitKind::kfold || kind == SplitKind::loso) && !fixed_speakers();
  }
};

struct DataConfig {
  std::vector<std::string> corpora;          // names in datasets/corpus_registry
  std::map<std::string, std::string> roots;  // per corpus; default $SER_DATA/<corpus>
  LabelSet labels = LabelSet::emotion;       // speaker_emotion: TESS's 14 classes
  CalmPolicy calm = CalmPolicy::neutral;     // labels: common, RAVDESS calm
  bool song = true;                          // RAVDESS: include the sung files (vocal channel 02)
  IntensityFilter intensity = IntensityFilter::all;
  StatementFilter statement = StatementFilter::all;
  SplitConfig split;
  bool images = false;                       // the corpus holds images (no audio features)
  void register_settings(Settings& s);       // labels, calm, song, intensity, statement
  bool gender_labels() const { return labels == LabelSet::gender || labels == LabelSet::gender_emotion; }
};

// Feature sets, frames, layout and scaling: what the model file keeps (without
// statistics until training fits them).
using FeatureConfig = ModelInput;

struct AugmentationConfig {
  std::vector<datasets::AugmentRecipe> copies;  // one augmented copy of every file per recipe (audio)
  datasets::ImageAugment image;                 // redrawn every epoch for every training image
  datasets::SpecAugment spec;                   // masks redrawn every epoch for every training sample (audio)
  datasets::WaveAugment wave;                   // speed, gain, noise redrawn every epoch, features re-extracted (audio)
  datasets::Mixup mixup;                        // every training batch blended with itself shuffled
  // false (the honest default): a copy always falls in its source's split.
  // true: the augmented rows are split at random as the popular notebooks do,
  // leaking copies of test files into training; for showing the leak.
  bool split_rows = false;
};

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::adam;
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7, momentum = 0.0, rho = 0.9;
  bool nesterov = false;
  void register_settings(Settings& s);
};

struct ScheduleConfig {
  ScheduleKind kind = ScheduleKind::none;
  double factor = 0.1;
  int step = 10, patience = 5;
  int warmup = 0;  // epochs of linear warm-up to the optimizer's rate, before any schedule
  void register_settings(Settings& s);
};

struct TrainingConfig {
  OptimizerConfig optimizer;
  int batch_size = 32, epochs = 50;
  ScheduleConfig schedule;
  int early_stopping_patience = 0;  // 0: off
  bool best_on_validation = true;
  int checkpoint_every = 1;
  double clip_norm = 0.0;
  bool class_weights = false;
  double label_smoothing = 0.0;
  int shards = 1;  // data-parallel training: the batch's shards (nn/step_shards.hpp)
  void register_settings(Settings& s);  // the scalars; optimizer and schedule are mappings of their own
};

struct ExperimentConfig {
  std::string source;  // the file it came from
  std::string name;
  uint64_t seed = 42;
  int threads = 0;  // 0: all cores
  DataConfig data;
  FeatureConfig features;
  AugmentationConfig augmentation;
  ClassicalConfig model;                // model.kind and a classical baseline's settings
  std::vector<nn::LayerSpec> layers;    // a classical kind: flatten (the fitted layer is added by training)
  std::vector<int> layer_lines;  // where each layer is written, for messages
  std::string init;  // model.init: a .sermodel (ser import, an earlier run) whose weights training starts from
  TrainingConfig training;
  std::string output = "runs";
  std::vector<std::string> overrides;  // the --set key=value given, as recorded in a run
  std::string resolved_yaml;           // with overrides: the file's YAML with them applied (else empty)
  uint64_t fingerprint = 0;            // of the config as resolved: a checkpoint must have the same
};

// A config is a few kilobytes; anything beyond this is not one.
inline constexpr uint64_t kMaxConfigBytes = uint64_t{4} << 20;
inline constexpr int kMaxEpochs = 1000000;

// Reads and validates `path`, after applying `overrides` ("training.epochs=5",
// "model.layers.2.filters=64"). `data_dir` is where corpora without a root
// are looked up (the SER_DATA setting). Throws ConfigError.
ExperimentConfig load_config(const std::string& path, const std::vector<std::string>& overrides = {},
                             const std::string& data_dir = "");

// The per-sample input shape the features give the model.
nn::Shape model_input_shape(const ExperimentConfig& config);

}  // namespace ser::experiments
