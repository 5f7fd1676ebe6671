// Experiment configs: every published config validates and gives the
// published parameter count; every kind of mistake is reported as
// file:line: what, before any data is touched.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "common/rng.hpp"
#include "experiments/config.hpp"
#include "experiments/feature_options.hpp"
#include "nn/sequential.hpp"
#include "zoo/published_models.hpp"

using namespace ser::experiments;
namespace fs = std::filesystem;

namespace {
const std::string kConfigs = SER_CONFIG_DIR;

int64_t parameters(const ExperimentConfig& c) {
  ser::Rng rng(c.seed);
  ser::nn::Sequential m(c.layers, model_input_shape(c), rng);
  return m.trainable_count();
}

// Writes `text` to a temporary YAML file and returns the error load_config gives.
std::string error_for(const std::string& text, const std::vector<std::string>& overrides = {}) {
  const fs::path p = fs::temp_directory_path() / ("ser_test_config_" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(p) << text;
  try {
    load_config(p.string(), overrides, "/data");
  } catch (const ConfigError& e) {
    std::string msg = e.what();
    fs::remove(p);
    return msg.substr(msg.find(".yaml") + 5);  // ":LINE: what"
  }
  fs::remove(p);
  return "no error";
}

const std::string kGood = R"(name: small
data:
  corpus: tess
features:
  kind: mfcc
  n_mfcc: 20
  frames: 50
model:
  layers:
    - {type: conv1d, filters: 4, kernel: 5}
    - {type: maxpool1d, pool: 4}
    - {type: flatten}
    - {type: dense, units: 7}
training:
  epochs: 3
)";
}  // namespace

TEST_CASE("the published configs validate and give the published parameter counts") {
  const auto tess = load_config(kConfigs + "/tess_cnn1d_mfcc.yaml", {}, "/data");
  CHECK(parameters(tess) == 481518);
  CHECK(model_input_shape(tess) == ser::nn::Shape{1, 2400});
  CHECK(tess.data.roots.at("tess") == "/data/tess");  // SER_DATA/<corpus> when no root is given
  {  // the published layer list, the zoo's (and so the benchmarks'): six Dropouts
    std::vector<std::string> config_types, zoo_types;
    for (const auto& l : tess.layers) config_types.push_back(l.type());
    for (const auto& l : ser::zoo::tess_cnn1d_specs(true)) zoo_types.push_back(l.type());
    CHECK(config_types == zoo_types);
    CHECK(std::count(config_types.begin(), config_types.end(), "dropout") == 6);
  }
  CHECK(parameters(load_config(kConfigs + "/ravdess_mel_cnn2d.yaml", {}, "/data")) == 845107);
  CHECK(parameters(load_config(kConfigs + "/fer2013_cnn.yaml", {}, "/data")) == 2345607);
  {  // the batch-norm FER CNN as the zoo (and so the benchmarks) has it: the same layers and settings
    const auto bn = load_config(kConfigs + "/fer2013_cnn_bn.yaml", {}, "/data");
    CHECK(parameters(bn) == 4474759);  // trainable; 4,478,727 with the batch-norm statistics, as Keras counts
    const auto zoo = ser::zoo::fer_cnn_bn_specs();
    REQUIRE(bn.layers.size() == zoo.size());
    for (size_t i = 0; i < zoo.size(); ++i) {
      CHECK(bn.layers[i].type() == zoo[i].type());
      CHECK(bn.layers[i].args() == zoo[i].args());
    }
  }
  {  // the full-width Kaggle CNN as the zoo (and so the benchmarks) has it
    const auto kaggle = load_config(kConfigs + "/multi_zcr_rms_mfcc_cnn1d.yaml", {}, "/data");
    const auto zoo = ser::zoo::kaggle_cnn1d_specs();
    REQUIRE(kaggle.layers.size() == zoo.size());
    for (size_t i = 0; i < zoo.size(); ++i) {
      CAPTURE(i);
      CHECK(kaggle.layers[i].type() == zoo[i].type());
      CHECK(kaggle.layers[i].args() == zoo[i].args());
    }
  }
  // Images take mixup beside their own augmentation; audio-only augmentation is refused by name.
  CHECK(load_config(kConfigs + "/fer2013_cnn.yaml", {"augmentation={mixup: {alpha: 0.2}}"}, "/data").augmentation.mixup.alpha == 0.2);
  CHECK_THROWS_WITH_AS(load_config(kConfigs + "/fer2013_cnn.yaml", {"augmentation={wave: {speed: 0.1}}"}, "/data"),
                       doctest::Contains("wave augments audio; an image corpus takes augmentation.image"), ConfigError);
  {  // The CRNN as chosen: every per-epoch augmentation on.
    const auto crnn = load_config(kConfigs + "/ravdess_crnn.yaml", {}, "/data");
    CHECK(crnn.augmentation.wave.speed == 0.1);
    CHECK(crnn.augmentation.mixup.alpha == 0.2);
    CHECK(!crnn.augmentation.spec.identity());
  }
  CHECK(parameters(load_config(kConfigs + "/ravdess_mfcc_cnn2d.yaml", {}, "/data")) == 1386216);
  {  // Keras counts BatchNorm's moving statistics in its total
    const auto bn = load_config(kConfigs + "/fer2013_cnn_bn.yaml", {}, "/data");
    ser::Rng rng(bn.seed);
    ser::nn::Sequential m(bn.layers, model_input_shape(bn), rng);
    CHECK(m.trainable_count() + m.non_trainable_count() == 4478727);
  }
  const auto mean40 = load_config(kConfigs + "/ravdess_tess_mfcc40_cnn1d.yaml", {}, "/data");
  CHECK(parameters(mean40) == 209672);
  CHECK(model_input_shape(mean40) == ser::nn::Shape{1, 40});
  const auto multi = load_config(kConfigs + "/multi_zcr_rms_mfcc_cnn1d.yaml", {}, "/data");
  CHECK(model_input_shape(multi) == ser::nn::Shape{1, 2376});  // 108 ZCR + 108 RMS + 20 x 108 MFCC
  CHECK(multi.augmentation.copies.size() == 3);
  {  // the published widths by default (7,193,223 as Keras counts, BatchNorm's statistics included), 1/8 as a variant
    ser::Rng rng(multi.seed);
    ser::nn::Sequential m(multi.layers, model_input_shape(multi), rng);
    CHECK(m.trainable_count() + m.non_trainable_count() == 7193223);
    const auto narrow = load_config(kConfigs + "/multi_zcr_rms_mfcc_cnn1d_narrow.yaml", {}, "/data");
    CHECK(parameters(narrow) == 113719);
  }
  CHECK(model_input_shape(load_config(kConfigs + "/multi_lstm.yaml", {}, "/data")) == ser::nn::Shape{100, 40});
  // Every config in configs/ validates (a new one cannot rot unnoticed).
  int n = 0;
  for (const auto& e : fs::directory_iterator(kConfigs)) {
    CHECK_NOTHROW(load_config(e.path().string(), {}, "/data"));
    ++n;
  }
  CHECK(n >= 10);
}

TEST_CASE("a good config, and --set overrides (recorded)") {
  CHECK(error_for(kGood) == "no error");
  const fs::path p = fs::temp_directory_path() / ("ser_test_config_ok_" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(p) << kGood;
  const auto c = load_config(p.string(), {"training.epochs=9", "model.layers.0.filters=6", "data.root=/elsewhere"}, "");
  CHECK(c.training.epochs == 9);
  CHECK(c.layers[0].text("filters") == "6");
  CHECK(c.data.roots.at("tess") == "/elsewhere");
  CHECK(c.overrides.size() == 3);
  fs::remove(p);
}

TEST_CASE("mistakes are reported as file:line: what, with the fix") {
  auto replace = [](std::string s, const std::string& from, const std::string& to) {
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  // Unknown key, with a suggestion, on its own line.
  CHECK(error_for(replace(kGood, "  epochs: 3", "  epoch: 3")) ==
        ":15: unknown key 'epoch' (did you mean 'epochs'?); known: batch_size epochs best_on_validation "
        "checkpoint_every clip_norm class_weights label_smoothing shards optimizer schedule early_stopping loss");
  // Wrong type.
  CHECK(error_for(replace(kGood, "epochs: 3", "epochs: ten")) == ":15: training.epochs must be an integer, got 'ten'");
  // Missing required field.
  CHECK(error_for(replace(kGood, "name: small\n", "")).find("missing required key 'name'") != std::string::npos);
  // A kernel longer than its input after pooling: the layer at fault, on its line.
  const std::string shape =
      error_for(replace(kGood, "{type: flatten}", "{type: conv1d, filters: 2, kernel: 400}\n    - {type: flatten}"));
  CHECK(shape.find(":12: model.layers[2] (conv1d): input [4, 249] does not fit the kernel") == 0);
  CHECK(shape.find("(the model's input is [1, 1000])") != std::string::npos);
  // A layer argument typo.
  CHECK(error_for(kGood, {"model.layers.0.kernal=3"})
            .find(": --set model.layers.0.kernal=3: model.layers[0] (conv1d): unknown argument 'kernal' (did you mean "
                  "'kernel'?)") == 0);
  // Values that cannot work.
  CHECK(error_for(replace(kGood, "kind: mfcc", "kind: mfc")).find("names an unknown feature kind 'mfc' (did you mean 'mfcc'?)") != std::string::npos);
  CHECK(error_for(replace(kGood, "corpus: tess", "corpus: timit")).find("unknown corpus 'timit'") != std::string::npos);
  CHECK(error_for(replace(kGood, "  frames: 50\n", "")).find("features.frames must be between 1 and 1000000 for the flat layout (models need fixed sizes), got 0") != std::string::npos);
  CHECK(error_for(replace(kGood, "epochs: 3", "epochs: 3\n  optimizer: {name: adamw}"))
            .find("training.optimizer.name must be one of adam, sgd or rmsprop, got 'adamw' (did you mean 'adam'?)") != std::string::npos);
  CHECK(error_for(replace(kGood, "  corpus: tess", "  corpus: tess\n  split: {kind: random, test: 1.5}"))
            .find("data.split.test must be between 0 and 1, got 1.5") != std::string::npos);
  CHECK(error_for(replace(kGood, "  corpus: tess", "  corpus: tess\n  split: {kind: random, test: 0.5, train: 0.6}"))
            .find("add up to 1") != std::string::npos);
  // Augmentation recipes, split grouping, scaling that needs another layout.
  CHECK(error_for(kGood + "augmentation:\n  copies: [{noise: 0.035}, {pitchh: 0.7}]\n") ==
        ":17: unknown key 'pitchh' (did you mean 'pitch'?); known: stretch pitch shift_seconds gain_db noise snr_db");
  CHECK(error_for(kGood + "augmentation:\n  copies: [{stretch: 1}]\n").find(":17: augmentation.copies[0]: changes nothing") ==
        0);
  CHECK(error_for(kGood + "augmentation:\n  copies: {noise: 1}\n").find("copies must be a list of recipes") !=
        std::string::npos);
  CHECK(error_for(replace(kGood, "  corpus: tess", "  corpus: tess\n  split: {kind: loso, by: none}"))
            .find("data.split.by must be speaker, word or gender for loso") != std::string::npos);
  // Gender labels and splits need corpora that know gender; intensity and statement filters, corpora that record them.
  CHECK(error_for(replace(kGood, "  corpus: tess", "  corpus: folders\n  labels: gender"))
            .find(":4: data.labels gender needs corpora that say each speaker's gender") == 0);
  CHECK(error_for(replace(kGood, "  corpus: tess", "  corpus: tess\n  labels: gender_emotion")) == "no error");
  CHECK(error_for(replace(kGood, "  corpus: tess", "  corpus: tess\n  intensity: strong"))
            .find(":4: data.intensity keeps files of one intensity; only ravdess and cremad record it") == 0);
  CHECK(error_for(replace(kGood, "  corpus: tess", "  corpus: ravdess\n  intensity: strongest"))
            .find("data.intensity must be one of all, normal, strong") != std::string::npos);
  CHECK(error_for(replace(kGood, "  corpus: tess", "  corpus: cremad\n  statement: kids"))
            .find(":4: data.statement keeps one of RAVDESS's two statements") == 0);
  CHECK(error_for(replace(kGood, "  corpus: tess", "  corpus: ravdess\n  intensity: strong\n  statement: dogs\n"
                                                   "  split: {kind: loso, by: gender}")) == "no error");
  CHECK(error_for(replace(kGood, "  corpus: tess", "  corpora: [tess, folders]\n  split: {kind: loso, by: gender}"))
            .find("data.split by: gender needs corpora that say each speaker's gender") != std::string::npos);
  CHECK(error_for(replace(kGood, "  frames: 50", "  frames: 50\n  scaling: minmax_per_frame"))
            .find("needs layout: image") != std::string::npos);
  // model.init names a file beside the config (ser import writes one); a missing one is named with the fix.
  CHECK(error_for(replace(kGood, "model:\n", "model:\n  init: nowhere.sermodel\n"))
            .find(":9: model.init names no model file: '/tmp/nowhere.sermodel' (a .sermodel: ") == 0);
  // Not YAML at all.
  CHECK(error_for("name: [unclosed\n").find("not valid YAML") != std::string::npos);
  CHECK(error_for(kGood, {"training.epochs"}).find("expected key=value") != std::string::npos);
}

TEST_CASE("a missing config file is named") {
  CHECK_THROWS_WITH_AS(load_config("/nonexistent/x.yaml"),
                       doctest::Contains("config file '/nonexistent/x.yaml': no such file"), ConfigError);
}

TEST_CASE("every setting out of range is refused up front: key, line and the allowed range") {
  // Each of these once crashed, hung, allocated gigabytes or trained on NaN (issue 14).
  struct Case {
    const char* set;     // a --set override
    const char* expect;  // in ":LINE: what"
  };
  const std::vector<Case> cases = {
      {"features.hop=-1", ": --set features.hop=-1: features.hop must be between 1 and 65536 (0: n_fft/4), got -1"},
      {"features.win_length=5000", "features.win_length must be between 1 and n_fft (2048; 0: n_fft), got 5000"},
      {"features.win_length=-1", "features.win_length must be between 1 and 65536 (0: n_fft), got -1"},
      {"features.n_fft=1000000000", "features.n_fft must be between 2 and 65536, got 1000000000"},
      {"features.sample_rate=1", "features.sample_rate must be between 1000 and 768000 Hz (0: the file's own rate), got 1"},
      {"features.offset=1e300", "features.offset must be between 0 and 1000000 seconds, got 1e300"},
      {"features.top_db=.nan", "features.top_db must be"},
      {"features.frames=-5", "features.frames must be between 1 and 1000000 (0: every frame (pooled, mean and functionals layouts only)), got -5"},
      {"training.optimizer={lr: .inf}", "training.optimizer.lr must be between 1e-12 and 10, got .inf"},
      {"training.optimizer={lr: .nan}", "training.optimizer.lr must be between 1e-12 and 10, got .nan"},
      {"training.optimizer={beta1: 1}", "training.optimizer.beta1 must be between 0 and 0.999999, got 1"},
      {"training.optimizer={epsilon: -1e-7}", "training.optimizer.epsilon must be between 1e-30 and 1"},
      {"training.optimizer={name: sgd, momentum: -0.5}", "training.optimizer.momentum must be between 0 and"},
      {"training.schedule={kind: step, step: 0}", "training.schedule.step must be between 1 and 1000000, got 0"},
      {"training.batch_size=0", "training.batch_size must be between 1 and 65536"},
      {"training.epochs=2147483647", "training.epochs must be between 1 and 1000000"},
      {"training.clip_norm=-1", "training.clip_norm must be between 0 and"},
      {"augmentation={copies: [{gain_db: 1e6}]}", "augmentation.copies[0].gain_db must be between 0 and 60 dB, got 1e6"},
      {"augmentation={copies: [{noise: .inf}]}", "augmentation.copies[0].noise must be between 0 and 10"},
      {"augmentation={copies: [{snr_db: .nan}]}", "augmentation.copies[0].snr_db must be between -30 and 120"},
      {"augmentation={copies: [{pitch: 1000}]}", "augmentation.copies[0].pitch must be between -24 and 24 semitones"},
      {"augmentation={copies: [{stretch: 0.001}]}", "augmentation.copies[0].stretch must be between 0.1 and 10"},
      {"augmentation={spec: {time_masks: 2, time_width: -1}}", "augmentation.spec.time_width must be between 0 and 100000"},
      {"augmentation={spec: {time_masks: 2}}", "augmentation.spec: masks nothing: give time_masks with time_width"},
      {"augmentation={wave: {snr_min: 30, snr_max: 10, noise_probability: 1}}",
       "augmentation.wave: snr_min (30 dB) must not exceed snr_max (10 dB)"},
      {"augmentation={wave: {snr_max: 30}}", "augmentation.wave: changes nothing: give speed (0.1), gain_db or noise_probability"},
      {"augmentation={wave: {speed: 0.9}}", "augmentation.wave.speed must be between 0 and 0.5"},
      {"augmentation={mixup: {alpha: 0}}", "augmentation.mixup: mixes nothing: give alpha > 0"},
      {"data.split={test: .nan}", "data.split.test must be between 0 and 1, got .nan"},
      {"data.split={kind: kfold, folds: 1}", "data.split.folds must be between 2 and 1000, got 1"},
      {"threads=-3", "threads must be between 0 and 1024 (0: all cores, fewer while other programs keep them busy; "
                     "no result depends on it), got -3"},
      {"name=../../..", "name must be a plain folder name (letters, digits and _ - . + = ,), got '../../..'"},
      {"name=a/b", "name must be a plain folder name"},
      {"data.song=false", "data.song chooses RAVDESS's sung files; the data has no ravdess corpus"},
      // std::bad_alloc before: a billion units.
      {"model.layers.3.units=1000000000",
       ": --set model.layers.3.units=1000000000: model.layers[3] (dense): a tensor of shape [1000000000, 996] "
       "(996000000000 values) exceeds the 268,435,456 parameter and buffer values a ser model may hold"},
      {"model.layers.0.filters=99999999999", "model.layers[0] (conv1d): argument 'filters' must be an integer between"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.set);
    const std::string e = error_for(kGood, {c.set});
    CHECK_MESSAGE(e.find(c.expect) != std::string::npos, e);
    CHECK(e.find(":") == 0);  // every message starts with where: the file's line or the --set
  }
}

TEST_CASE("--set paths that name no element, and values that are not YAML, are refused clearly") {
  const fs::path p = fs::temp_directory_path() / ("ser_test_config_set_" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(p) << kGood;
  auto message = [&](const std::string& set) {
    try {
      load_config(p.string(), {set}, "/data");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  // Found: "error: stoul", a bare exception text.
  CHECK(message("model.layers.x.units=3") ==
        "--set model.layers.x.units: 'x' names an element of a list; give its position (0 to 3), as in "
        "model.layers.2.units");
  CHECK(message("model.layers.9.units=3") == "--set model.layers.9.units: index 9 is past the end of the list (4 elements)");
  CHECK(message("training.epochs.x=3") == "--set training.epochs.x: 'epochs' is a single value, it has no 'x'");
  CHECK(message("training.epochs=[unclosed").find("--set training.epochs=[unclosed: the value is not valid YAML") == 0);
  fs::remove(p);
}

TEST_CASE("a key given twice is refused, naming both lines") {
  // Found: yaml-cpp kept the first and dropped the second without a word.
  CHECK(error_for(kGood + "  epochs: 30\n") == ":16: key 'epochs' is given twice (first at line 15); keep one");
  CHECK(error_for("name: a\nname: b\n") == ":2: key 'name' is given twice (first at line 1); keep one");
}

TEST_CASE("values of the wrong shape are refused with their line, not as a yaml-cpp exception") {
  auto replace = [](std::string s, const std::string& from, const std::string& to) {
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  CHECK(error_for(replace(kGood, "kernel: 5", "kernel: {a: 1}")).find(":10: model.layers[0].kernel must be a value or a list") == 0);
  CHECK(error_for(kGood, {"model.layers.0.kernel={a: 1}"})
            .find(": --set model.layers.0.kernel={a: 1}: model.layers[0].kernel must be a value or a list") == 0);
  CHECK(error_for(kGood, {"name=[a, b]"}).find(": --set name=[a, b]: name must be a single value") == 0);
  CHECK(error_for(kGood, {"model.layers.0.type=[conv1d]"}).find("type must be a layer name") != std::string::npos);
}

namespace {
// The spec a config's features give, or "error: <setting>" naming what it refused.
std::string config_result(const std::string& name, const std::string& value) {
  const fs::path p = fs::temp_directory_path() / ("ser_test_fronts_" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(p) << kGood;
  std::string out;
  try {
    out = load_config(p.string(), {"features." + name + "=" + value}, "/data").features.sets.at(0).canonical();
  } catch (const ConfigError& e) {
    out = std::string("error: ") + e.what();
  }
  fs::remove(p);
  return out;
}

// The same from `ser features` options (ArgParser over add_feature_options).
std::string cli_result(const std::string& name, const std::string& value, bool flag, bool on_by_default) {
  std::string option = (flag && on_by_default ? "--no-" : "--") + name;
  std::replace(option.begin(), option.end(), '_', '-');
  std::vector<std::string> args = {"--kind", "mfcc", "--n-mfcc", "20"};
  if (!flag) args.insert(args.end(), {option, value});
  if (flag && (value == "true") != on_by_default) args.push_back(option);
  try {
    ArgParser p("features", "");
    add_feature_options(p);
    p.parse(args);
    return feature_spec_from(p).canonical();
  } catch (const UsageError& e) {
    return std::string("error: ") + e.what();
  }
}

// Equal specs, or errors saying the same of the same setting ("features.hop
// defaults to ..." in a config is "--hop defaults to ..." on a command line).
bool same_outcome(const std::string& config, const std::string& cli) {
  if (config.rfind("error: ", 0) != 0 || cli.rfind("error: ", 0) != 0) return config == cli;
  const size_t c = config.rfind("features."), o = cli.find("--");
  if (c == std::string::npos || o == std::string::npos) return false;
  std::string said = cli.substr(o + 2);
  const size_t word = said.find(' ');
  std::replace(said.begin(), said.begin() + static_cast<std::ptrdiff_t>(std::min(word, said.size())), '-', '_');
  return config.substr(c + 9) == said;
}
}  // namespace

// Both front ends walk dsp's one registration, so for every setting and every
// edge of its range they must take the same value or refuse it naming it.
TEST_CASE("config and command line take every feature setting alike: names, defaults, ranges, choices") {
  ser::dsp::FeatureSpec defaults;
  const ser::Settings settings = defaults.settings();
  int compared = 0;
  for (const ser::Setting& s : settings.all()) {
    std::vector<std::string> values = {s.get()};
    if (s.kind == ser::SettingKind::choice) values.insert(values.end(), s.choices.begin(), s.choices.end());
    if (s.kind == ser::SettingKind::flag) values = {"true", "false"};
    if (s.kind == ser::SettingKind::integer || s.kind == ser::SettingKind::number)
      for (double v : {s.lo, s.hi, s.lo - 1, s.hi + 1}) values.push_back(ser::format_number(v));
    if (s.special) values.push_back(s.special_word.empty() ? ser::format_number(*s.special) : s.special_word);
    for (const std::string& v : values) {
      const std::string from_config = config_result(s.name, v);
      const std::string from_cli = cli_result(s.name, v, s.kind == ser::SettingKind::flag, s.read() != 0);
      CHECK_MESSAGE(same_outcome(from_config, from_cli), s.name << "=" << v << "\n  config: " << from_config
                                                                       << "\n  cli: " << from_cli);
      ++compared;
    }
  }
  CHECK(compared > 80);
  // The default of every setting is what a config without it gives.
  CHECK(config_result("n_mfcc", "20") == defaults.canonical());
}
