// ONNX export, checked by others: this suite exports every model of
// configs/ and of the zoo, and small models that between them use every
// layer and every option the exporter translates, each with random weights
// (batch norm with random running statistics), into $SER_ONNX_CASES (default
// onnx_cases/ beside the suite). For each it writes the model, a batch of
// inputs and ser's outputs for them. Two CTest checks read that folder:
//   onnx_checker (tests/onnx_check.py): python3-onnx's full checker accepts
//     each model, with its named input, output and dynamic batch axis;
//   onnx_runtime (tests/node/onnx_run.mjs): ONNX Runtime runs each model and
//     agrees with ser within 1e-5 of the outputs' scale.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/atomic_file.hpp"
#include "common/rng.hpp"
#include "experiments/config.hpp"
#include "nn/onnx/onnx_export.hpp"
#include "nn/onnx/onnx_import.hpp"
#include "nn/sequential.hpp"
#include "support/paths.hpp"
#include "zoo/published_models.hpp"

namespace fs = std::filesystem;
using namespace ser;
using nn::LayerSpec;

namespace {

struct Case {
  std::string name;
  std::vector<LayerSpec> layers;
  nn::Shape input;
};

fs::path cases_dir() {
  const char* set = std::getenv("SER_ONNX_CASES");
  return set ? fs::path(set) : fs::current_path() / "onnx_cases";
}

// Every value random, batch norm's variance positive: the export must carry
// each tensor to its place, which zeros and ones would not show.
void randomize(nn::Sequential& model, Rng& rng) {
  for (auto& t : model.state()) {
    const bool variance = t.name.ends_with("running_var");
    for (float& v : std::span<float>(t.tensor.data(), static_cast<size_t>(t.tensor.numel())))
      v = variance ? rng.uniform(0.5f, 2.0f) : rng.uniform(-0.5f, 0.5f);
  }
}

std::string raw(std::span<const float> v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size_bytes());
}

nlohmann::json dims(const nn::Shape& s) { return std::vector<int64_t>(s.dims().begin(), s.dims().end()); }

// ser's export read back by ser's import: the same layers give the same outputs, bit for bit.
void check_round_trip(const std::string& name, const std::string& bytes, const nn::Tensor& x, const nn::Tensor& y) {
  CAPTURE(name);
  nn::ImportedOnnx back = nn::import_onnx(bytes, name + ".onnx");
  const nn::Tensor again = back.model.predict(x, 1);
  REQUIRE(again.shape() == y.shape());
  CHECK(std::equal(y.values().begin(), y.values().end(), again.values().begin()));
  CHECK(back.producer == "ser test");
}

// Writes NAME.onnx, NAME.input.f32 and NAME.output.f32; returns its manifest entry.
nlohmann::json write_case(const Case& c, const fs::path& dir) {
  Rng rng(7);
  nn::Sequential model(c.layers, c.input, rng, c.name);
  randomize(model, rng);
  model.labels = {"a", "b"};
  const int64_t batch = 3;
  nn::Tensor x = nn::Tensor::zeros(c.input.prepend(batch));
  for (float& v : std::span<float>(x.data(), static_cast<size_t>(x.numel()))) v = rng.normal();
  const nn::Tensor y = model.predict(x, 1);
  const std::string bytes = nn::export_onnx(model, {"test", {{"ser.case", c.name}}});
  write_file_atomically((dir / (c.name + ".onnx")).string(), bytes);
  check_round_trip(c.name, bytes, x, y);
  write_file_atomically((dir / (c.name + ".input.f32")).string(), raw(x.values()));
  write_file_atomically((dir / (c.name + ".output.f32")).string(), raw(y.values()));
  return {{"name", c.name},
          {"input", dims(x.shape())},
          {"output", dims(y.shape())},
          {"output_name", nn::onnx_output_name(model)}};
}

std::vector<Case> layer_cases() {
  const nn::Shape seq{12, 6}, map{3, 9, 10}, line{2, 30};
  return {
      {"dense_activations",
       {{"dense", {{"units", "5"}, {"activation", "tanh"}}},
        {"dense", {{"units", "4"}, {"activation", "sigmoid"}, {"use_bias", "false"}}},
        {"dense", {{"units", "3"}, {"activation", "softmax"}}}},
       {7}},
      {"conv1d_options",
       {{"conv1d", {{"filters", "4"}, {"kernel", "5"}, {"stride", "2"}, {"padding", "same"}, {"activation", "relu"}}},
        {"conv1d",
         {{"filters", "3"},
          {"kernel", "3"},
          {"dilation", "2"},
          {"padding", "2"},
          {"use_bias", "false"},
          {"activation", "tanh"}}},
        {"avgpool1d", {{"pool", "3"}, {"padding", "same"}}},
        {"maxpool1d", {{"pool", "2"}, {"stride", "1"}}},
        {"flatten"},
        {"dense", {{"units", "2"}}}},
       line},
      {"conv2d_options",
       {{"conv2d", {{"filters", "4"}, {"kernel", "3x2"}, {"stride", "2x1"}, {"padding", "same"}}},
        {"batchnorm"},
        {"relu"},
        {"conv2d",
         {{"filters", "5"}, {"kernel", "2"}, {"dilation", "2x1"}, {"padding", "1x2"}, {"activation", "sigmoid"}}},
        {"maxpool2d", {{"pool", "3x2"}, {"stride", "2x2"}, {"padding", "same"}}},
        {"avgpool2d", {{"pool", "2"}}},
        {"global_avg_pool"},
        {"dense", {{"units", "2"}}}},
       map},
      {"conv_fused_pool",
       {{"conv2d", {{"filters", "4"}, {"kernel", "3"}, {"activation", "relu"}}},
        {"maxpool2d", {{"pool", "2"}}},
        {"flatten"},
        {"dropout", {{"rate", "0.4"}}},
        {"dense", {{"units", "2"}}}},
       map},
      {"residual",
       {{"conv1d", {{"filters", "2"}, {"kernel", "3"}, {"padding", "same"}, {"name", "block1"}}},
        {"conv1d", {{"filters", "2"}, {"kernel", "3"}, {"padding", "same"}, {"activation", "relu"}}},
        {"add", {{"from", "block1"}}},
        {"add", {{"from", "input"}}},
        {"batchnorm", {{"epsilon", "0.01"}}},
        {"reshape", {{"shape", "60"}}},
        {"dense", {{"units", "2"}}}},
       line},
      {"lstm_last", {{"lstm", {{"units", "5"}}}, {"dense", {{"units", "2"}}}}, seq},
      {"lstm_bidirectional_sequences",
       {{"lstm", {{"units", "4"}, {"bidirectional", "true"}, {"return_sequences", "true"}}},
        {"lstm", {{"units", "3"}, {"bidirectional", "true"}}},
        {"dense", {{"units", "2"}}}},
       seq},
      {"gru_sequences_stats",
       {{"gru", {{"units", "4"}, {"return_sequences", "true"}}},
        {"gru", {{"units", "3"}, {"bidirectional", "true"}, {"return_sequences", "true"}}},
        {"stats_pool"},
        {"dense", {{"units", "2"}}}},
       seq},
      {"gru_bidirectional_last",
       {{"gru", {{"units", "4"}, {"bidirectional", "true"}}}, {"dense", {{"units", "2"}, {"activation", "softmax"}}}},
       seq},
      {"attention",
       {{"lstm", {{"units", "4"}, {"return_sequences", "true"}}},
        {"attention_pool", {{"units", "5"}}},
        {"dense", {{"units", "2"}}}},
       seq},
      {"crnn_to_sequence",
       {{"conv2d", {{"filters", "3"}, {"kernel", "3"}, {"padding", "same"}, {"activation", "relu"}}},
        {"to_sequence"},
        {"gru", {{"units", "4"}, {"return_sequences", "true"}}},
        {"stats_pool", {{"epsilon", "0.001"}}},
        {"softmax"}},
       map},
  };
}

std::vector<Case> published_cases() {
  std::vector<Case> cases = {{"zoo_tess_cnn1d", zoo::tess_cnn1d_specs(true), {1, 2400}},
                             {"zoo_fer_cnn", zoo::fer_cnn_specs(), {1, 48, 48}},
                             {"zoo_ravdess_mel_cnn", zoo::ravdess_mel_cnn_specs(), {1, 128, 165}},
                             {"zoo_lstm", zoo::lstm_specs(), {100, 40}}};
  for (const auto& entry : fs::directory_iterator(SER_CONFIG_DIR)) {
    if (entry.path().extension() != ".yaml") continue;
    const auto config = experiments::load_config(entry.path().string(), {}, test::data_dir());
    cases.push_back({"config_" + entry.path().stem().string(), config.layers, experiments::model_input_shape(config)});
  }
  return cases;
}

}  // namespace

TEST_CASE("every layer, every option and every published model, exported with ser's outputs for ONNX's checkers") {
  const fs::path dir = cases_dir();
  fs::remove_all(dir);
  fs::create_directories(dir);
  nlohmann::json manifest = nlohmann::json::array();
  std::vector<Case> cases = layer_cases();
  for (auto& c : published_cases()) cases.push_back(std::move(c));
  for (const Case& c : cases) {
    CAPTURE(c.name);
    manifest.push_back(write_case(c, dir));
    CHECK(fs::file_size(dir / (c.name + ".onnx")) > 0);
  }
  write_file_atomically((dir / "cases.json").string(), manifest.dump(1));
  MESSAGE(cases.size() << " models in " << dir.string());
  CHECK(cases.size() >= 20);
}
