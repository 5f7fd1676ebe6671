// Experiment configs: every published config validates and gives the
// published parameter count; every kind of mistake is reported as
// file:line: what, before any data is touched.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/rng.hpp"
#include "experiments/config.hpp"
#include "nn/sequential.hpp"

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
  CHECK(parameters(load_config(kConfigs + "/ravdess_mel_cnn2d.yaml", {}, "/data")) == 845107);
  CHECK(parameters(load_config(kConfigs + "/fer2013_cnn.yaml", {}, "/data")) == 2345607);
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
        ":15: unknown key 'epoch' (did you mean 'epochs'?); known: optimizer batch_size epochs schedule "
        "early_stopping best_on_validation checkpoint_every clip_norm class_weights loss");
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
            .find(":10: model.layers[0] (conv1d): unknown argument 'kernal' (did you mean 'kernel'?)") == 0);
  // Values that cannot work.
  CHECK(error_for(replace(kGood, "kind: mfcc", "kind: mfc")).find("names unknown feature 'mfc'") != std::string::npos);
  CHECK(error_for(replace(kGood, "corpus: tess", "corpus: timit")).find("unknown corpus 'timit'") != std::string::npos);
  CHECK(error_for(replace(kGood, "  frames: 50\n", "")).find("features.frames must be set") != std::string::npos);
  CHECK(error_for(replace(kGood, "epochs: 3", "epochs: 3\n  optimizer: {name: adamw}"))
            .find("training.optimizer.name must be adam, sgd or rmsprop") != std::string::npos);
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
            .find("data.split.by must be speaker or word for loso") != std::string::npos);
  CHECK(error_for(replace(kGood, "  frames: 50", "  frames: 50\n  scaling: minmax_per_frame"))
            .find("needs layout: image") != std::string::npos);
  // Not YAML at all.
  CHECK(error_for("name: [unclosed\n").find("not valid YAML") != std::string::npos);
  CHECK(error_for(kGood, {"training.epochs"}).find("expected key=value") != std::string::npos);
}

TEST_CASE("a missing config file is named") {
  CHECK_THROWS_WITH_AS(load_config("/nonexistent/x.yaml"),
                       doctest::Contains("config file '/nonexistent/x.yaml': no such file"), ConfigError);
}
