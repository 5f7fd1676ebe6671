// Every case of ../shared/reference/torch (PyTorch 1.13, float64) against our
// float32 ops. Prints one line per case with the largest relative error
// (|ours - torch| / max|torch| over each array, the worst array named).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "common/npy.hpp"
#include "nn/ops.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/sequential.hpp"
#include "support/main_requiring.hpp"
#include "zoo/published_models.hpp"
#include "support/paths.hpp"

using namespace ser::nn;
using ser::NpyArray;

namespace {
std::string torch_dir() { return ser::test::reference_dir() + "/torch"; }
// Cases of layers added after ../shared/reference was made, in the repository.
std::string own_torch_dir() { return ser::test::own_reference_dir() + "/torch"; }

struct Case {
  std::string name;
  std::map<std::string, NpyArray> arrays;

  explicit Case(std::string n, const std::string& root = torch_dir()) : name(std::move(n)) {
    REQUIRE_MESSAGE(std::filesystem::is_directory(root + "/" + name), (root + "/" + name + " is missing"));
    for (const auto& entry : std::filesystem::directory_iterator(root + "/" + name))
      if (entry.path().extension() == ".npy")
        arrays[entry.path().stem().string()] = ser::read_npy(entry.path().string());
  }
  const NpyArray& at(const std::string& key) const {
    auto it = arrays.find(key);
    REQUIRE_MESSAGE(it != arrays.end(), (name + " has no array " + key));
    return it->second;
  }
  Tensor tensor(const std::string& key, bool requires_grad = false) const {
    const NpyArray& a = at(key);
    const std::vector<float> v = a.as_float();
    return Tensor::from(Shape(std::span<const int64_t>(a.shape)), v, requires_grad);
  }
  std::vector<int32_t> targets(const std::string& key) const {
    std::vector<int32_t> t;
    for (double d : at(key).data) t.push_back(static_cast<int32_t>(d));
    return t;
  }
  std::vector<float> upstream() const { return at("grad_y").as_float(); }

  // Largest relative error of one array; remembers the worst for the report.
  double worst = 0;
  std::string worst_array;
  void compare(const std::string& key, std::span<const float> ours, double tolerance) {
    const NpyArray& ref = at(key);
    REQUIRE_MESSAGE(ours.size() == ref.data.size(), (name + "/" + key + ": size " + std::to_string(ours.size()) +
                                                     " vs " + std::to_string(ref.data.size())));
    double scale = 0, err = 0;
    for (double r : ref.data) scale = std::max(scale, std::abs(r));
    for (size_t i = 0; i < ours.size(); ++i) err = std::max(err, std::abs(ours[i] - ref.data[i]));
    const double rel = err / std::max(scale, 1e-30);
    INFO(name << "/" << key << " rel err " << rel);
    CHECK(rel <= tolerance);
    if (rel >= worst) worst = rel, worst_array = key;
  }
  void compare_grad(const std::string& key, const Tensor& t, double tolerance) {
    REQUIRE_MESSAGE(t.has_grad(), (name + "/" + key + ": no gradient was computed"));
    compare(key, t.grad_values(), tolerance);
  }
  void report() const { std::printf("torch %-22s max rel err %.2e (%s)\n", name.c_str(), worst, worst_array.c_str()); }
};

constexpr double kOpTolerance = 1e-4;     // forward values and gradients of one op
constexpr double kModelTolerance = 1e-3;  // the whole TESS model

// Layer cases: y = f(x, params); backward of sum(y * grad_y).
template <typename F>
void check_layer_case(const std::string& name, const std::vector<std::string>& params, F f) {
  Case c(name);
  Tensor x = c.tensor("x", true);
  std::vector<Tensor> p;
  for (const auto& key : params) p.push_back(c.tensor(key, true));
  Tensor y = f(x, p);
  c.compare("y", y.values(), kOpTolerance);
  y.backward(c.upstream(), 2);
  c.compare_grad("grad_x", x, kOpTolerance);
  for (size_t i = 0; i < params.size(); ++i) c.compare_grad("grad_" + params[i], p[i], kOpTolerance);
  c.report();
}
}  // namespace

TEST_CASE("every case of the manifest has a test here") {
  std::ifstream in(torch_dir() + "/manifest.json");
  const std::string manifest((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::vector<std::string> covered = {"dense",
                                            "conv1d_valid",
                                            "conv1d_same_stride2",
                                            "conv1d_dilated",
                                            "conv2d_valid",
                                            "conv2d_same_stride2",
                                            "maxpool1d_k3",
                                            "maxpool2d_k2",
                                            "relu",
                                            "batchnorm1d_train",
                                            "batchnorm2d_train",
                                            "lstm_seq",
                                            "cross_entropy",
                                            "adam",
                                            "sgd_momentum",
                                            "tess_cnn1d_model"};
  for (const auto& entry : std::filesystem::directory_iterator(torch_dir()))
    if (entry.is_directory()) {
      const std::string name = entry.path().filename().string();
      INFO("reference case " << name);
      CHECK(std::find(covered.begin(), covered.end(), name) != covered.end());
      CHECK(manifest.find("\"" + name + "\"") != std::string::npos);
    }
}

TEST_CASE("dense") {
  check_layer_case("dense", {"weight", "bias"},
                   [](const Tensor& x, std::vector<Tensor>& p) { return dense(x, p[0], p[1], 2); });
}

TEST_CASE("conv1d") {
  check_layer_case("conv1d_valid", {"weight", "bias"},
                   [](const Tensor& x, std::vector<Tensor>& p) { return conv1d(x, p[0], p[1], Conv1dOptions{}, false, nullptr, 2); });
  check_layer_case("conv1d_same_stride2", {"weight", "bias"}, [](const Tensor& x, std::vector<Tensor>& p) {
    return conv1d(x, p[0], p[1], Conv1dOptions{2, 1, Padding::explicit_pad, 2}, false, nullptr, 2);
  });
  check_layer_case("conv1d_dilated", {"weight", "bias"}, [](const Tensor& x, std::vector<Tensor>& p) {
    return conv1d(x, p[0], p[1], Conv1dOptions{1, 2, Padding::valid, 0}, false, nullptr, 2);
  });
}

TEST_CASE("conv2d") {
  check_layer_case("conv2d_valid", {"weight", "bias"},
                   [](const Tensor& x, std::vector<Tensor>& p) { return conv2d(x, p[0], p[1], Conv2dOptions{}, false, nullptr, 2); });
  check_layer_case("conv2d_same_stride2", {"weight", "bias"}, [](const Tensor& x, std::vector<Tensor>& p) {
    return conv2d(x, p[0], p[1], Conv2dOptions{2, 2, 1, 1, Padding::explicit_pad, 1, 1}, false, nullptr, 2);
  });
}

TEST_CASE("pooling and relu") {
  check_layer_case("maxpool1d_k3", {}, [](const Tensor& x, std::vector<Tensor>&) {
    return max_pool1d(x, PoolOptions{1, 3, 1, 3, Padding::valid}, 2);
  });
  check_layer_case("maxpool2d_k2", {}, [](const Tensor& x, std::vector<Tensor>&) {
    return max_pool2d(x, PoolOptions{2, 2, 2, 2, Padding::valid}, 2);
  });
  check_layer_case("relu", {}, [](const Tensor& x, std::vector<Tensor>&) { return relu(x); });
}

TEST_CASE("batch norm in training mode") {
  for (const char* name : {"batchnorm1d_train", "batchnorm2d_train"}) {
    check_layer_case(name, {"weight", "bias"}, [](const Tensor& x, std::vector<Tensor>& p) {
      Tensor mean = Tensor::zeros(Shape{x.dim(1)}), var = Tensor::full(Shape{x.dim(1)}, 1.0f);
      return batch_norm_train(x, p[0], p[1], mean, var, 0.9f, 1e-5f, 2);
    });
  }
}

TEST_CASE("lstm over a sequence") {
  // PyTorch's two biases are one bias here: b = b_ih + b_hh, and both of
  // PyTorch's bias gradients equal ours.
  Case c("lstm_seq");
  Tensor x = c.tensor("x", true);
  Tensor w_ih = c.tensor("lstm_weight_ih_l0", true), w_hh = c.tensor("lstm_weight_hh_l0", true);
  const Tensor b_ih = c.tensor("lstm_bias_ih_l0"), b_hh = c.tensor("lstm_bias_hh_l0");
  Tensor b = Tensor::zeros(b_ih.shape(), true);
  for (int64_t i = 0; i < b.numel(); ++i) b.data()[i] = b_ih.data()[i] + b_hh.data()[i];
  Tensor y = lstm(x, w_ih, w_hh, b, true, 2);
  c.compare("y", y.values(), kOpTolerance);
  y.backward(c.upstream(), 2);
  c.compare_grad("grad_x", x, kOpTolerance);
  c.compare_grad("grad_lstm_weight_ih_l0", w_ih, kOpTolerance);
  c.compare_grad("grad_lstm_weight_hh_l0", w_hh, kOpTolerance);
  c.compare_grad("grad_lstm_bias_ih_l0", b, kOpTolerance);
  c.compare_grad("grad_lstm_bias_hh_l0", b, kOpTolerance);
  c.report();
}

TEST_CASE("gru over a sequence (tests/reference/torch)") {
  Case c("gru_seq", own_torch_dir());
  Tensor x = c.tensor("x", true);
  Tensor w_ih = c.tensor("rnn_weight_ih_l0", true), w_hh = c.tensor("rnn_weight_hh_l0", true);
  Tensor b_ih = c.tensor("rnn_bias_ih_l0", true), b_hh = c.tensor("rnn_bias_hh_l0", true);
  Tensor y = gru(x, w_ih, w_hh, b_ih, b_hh, true, 2);
  c.compare("y", y.values(), kOpTolerance);
  y.backward(c.upstream(), 2);
  c.compare_grad("grad_x", x, kOpTolerance);
  c.compare_grad("grad_rnn_weight_ih_l0", w_ih, kOpTolerance);
  c.compare_grad("grad_rnn_weight_hh_l0", w_hh, kOpTolerance);
  c.compare_grad("grad_rnn_bias_ih_l0", b_ih, kOpTolerance);
  c.compare_grad("grad_rnn_bias_hh_l0", b_hh, kOpTolerance);
  c.report();
}

namespace {
// One layer built from its spec as a config would build it, PyTorch's
// parameters loaded into it (each of ours named by the torch arrays it is
// made of: "a+b" is their sum, as an LSTM's one bias), then its output and
// every gradient compared.
void check_own_layer(const std::string& name, const LayerSpec& spec, const Shape& sample,
                     const std::vector<std::string>& torch_names) {
  Case c(name, own_torch_dir());
  Rng rng(0);
  Sequential model({spec}, sample, rng);
  auto params = model.parameters();
  REQUIRE(params.size() == torch_names.size());
  for (size_t i = 0; i < params.size(); ++i) {
    std::vector<float> sum(static_cast<size_t>(params[i].tensor.numel()), 0.0f);
    std::string rest = torch_names[i] + "+";
    for (size_t at; (at = rest.find('+')) != std::string::npos; rest.erase(0, at + 1)) {
      const Tensor part = c.tensor(rest.substr(0, at));
      REQUIRE_MESSAGE(part.shape() == params[i].tensor.shape(), (rest.substr(0, at) + " vs " + params[i].name));
      for (size_t k = 0; k < sum.size(); ++k) sum[k] += part.data()[k];
    }
    std::copy(sum.begin(), sum.end(), params[i].tensor.data());
  }
  Tensor x = c.tensor("x", true);
  ForwardContext ctx;
  ctx.threads = 2;
  Tensor y = model.forward(x, ctx);
  c.compare("y", y.values(), kOpTolerance);
  y.backward(c.upstream(), 2);
  c.compare_grad("grad_x", x, kOpTolerance);
  for (size_t i = 0; i < params.size(); ++i) {
    const std::string first = torch_names[i].substr(0, torch_names[i].find('+'));
    c.compare_grad("grad_" + first, params[i].tensor, kOpTolerance);
  }
  c.report();
}
}  // namespace

TEST_CASE("bidirectional GRU and LSTM layers, every step and last steps (tests/reference/torch)") {
  check_own_layer("bigru_seq", LayerSpec("gru", {{"units", "4"}, {"bidirectional", "true"}, {"return_sequences", "true"}}),
                  Shape{6, 5},
                  {"rnn_weight_ih_l0", "rnn_weight_hh_l0", "rnn_bias_ih_l0", "rnn_bias_hh_l0", "rnn_weight_ih_l0_reverse",
                   "rnn_weight_hh_l0_reverse", "rnn_bias_ih_l0_reverse", "rnn_bias_hh_l0_reverse"});
  check_own_layer("bilstm_last", LayerSpec("lstm", {{"units", "4"}, {"bidirectional", "true"}}), Shape{7, 3},
                  {"rnn_weight_ih_l0", "rnn_weight_hh_l0", "rnn_bias_ih_l0+rnn_bias_hh_l0", "rnn_weight_ih_l0_reverse",
                   "rnn_weight_hh_l0_reverse", "rnn_bias_ih_l0_reverse+rnn_bias_hh_l0_reverse"});
}

TEST_CASE("statistics, attention and global average pooling; a feature map as a sequence (tests/reference/torch)") {
  check_own_layer("stats_pool", LayerSpec("stats_pool"), Shape{8, 5}, {});
  check_own_layer("attention_pool", LayerSpec("attention_pool", {{"units", "6"}}), Shape{8, 5},
                  {"weight", "bias", "context"});
  check_own_layer("global_avg_pool", LayerSpec("global_avg_pool"), Shape{3, 4, 5}, {});
  check_own_layer("to_sequence", LayerSpec("to_sequence"), Shape{3, 4, 5}, {});
}

TEST_CASE("the repository's own torch cases are all checked") {
  const std::vector<std::string> covered = {"gru_seq",    "bigru_seq",      "bilstm_last",     "stats_pool",
                                            "attention_pool", "to_sequence", "global_avg_pool",
                                            "cross_entropy_smoothing", "cross_entropy_smoothing_weighted"};
  for (const auto& entry : std::filesystem::directory_iterator(own_torch_dir()))
    if (entry.is_directory()) {
      INFO("own reference case " << entry.path().filename().string());
      CHECK(std::find(covered.begin(), covered.end(), entry.path().filename().string()) != covered.end());
    }
}

TEST_CASE("cross-entropy with label smoothing, with and without class weights (tests/reference/torch)") {
  for (const std::string name : {"cross_entropy_smoothing", "cross_entropy_smoothing_weighted"}) {
    Case c(name, own_torch_dir());
    Tensor logits = c.tensor("logits", true);
    std::vector<float> weights;
    if (name.find("weighted") != std::string::npos) weights = c.at("weight").as_float();
    Tensor loss = softmax_cross_entropy(logits, c.targets("target"), weights, 0.1f);
    c.compare("loss", loss.values(), kOpTolerance);
    loss.backward(2);
    c.compare_grad("grad_logits", logits, kOpTolerance);
    c.report();
  }
}

TEST_CASE("softmax cross-entropy") {
  Case c("cross_entropy");
  Tensor logits = c.tensor("logits", true);
  Tensor loss = softmax_cross_entropy(logits, c.targets("target"));
  c.compare("loss", loss.values(), kOpTolerance);
  loss.backward(2);
  c.compare_grad("grad_logits", logits, kOpTolerance);
  c.report();
}

namespace {
// Feeds the recorded gradients through an optimizer and compares the parameters after each step.
template <typename MakeOpt>
void check_optimizer_case(const std::string& name, MakeOpt make) {
  Case c(name);
  Tensor p = c.tensor("param0", true);
  auto opt = make(std::vector<Tensor>{p});
  const NpyArray& grads = c.at("grads");
  const NpyArray& after = c.at("params_after");
  const int64_t steps = grads.shape[0], n = grads.shape[1];
  std::vector<float> ours;
  for (int64_t s = 0; s < steps; ++s) {
    for (int64_t i = 0; i < n; ++i) p.grad()[i] = static_cast<float>(grads.data[static_cast<size_t>(s * n + i)]);
    opt.step(2);
    ours.insert(ours.end(), p.values().begin(), p.values().end());
  }
  REQUIRE(static_cast<int64_t>(after.data.size()) == steps * n);
  c.compare("params_after", ours, kOpTolerance);
  c.report();
}
}  // namespace

TEST_CASE("optimizers: Adam and SGD with momentum") {
  check_optimizer_case("adam", [](std::vector<Tensor> p) {
    return Adam(std::move(p), AdamOptions{0.01f, 0.9f, 0.999f, 1e-8f});
  });
  check_optimizer_case("sgd_momentum", [](std::vector<Tensor> p) {
    return Sgd(std::move(p), SgdOptions{0.1f, 0.9f, false});
  });
}

namespace {
// Our parameters in order, with PyTorch's Sequential indices.
const std::vector<std::string> kTorchIndices = {"0", "3", "6", "9", "13", "15", "17"};

void load_torch_params(Sequential& model, const Case& c) {
  auto params = model.parameters();
  REQUIRE(params.size() == 2 * kTorchIndices.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const std::string key = "param_" + kTorchIndices[i / 2] + (i % 2 ? "_bias" : "_weight");
    const Tensor src = c.tensor(key);
    REQUIRE_MESSAGE(src.shape() == params[i].tensor.shape(),
                    (key + " " + src.shape().str() + " vs " + params[i].name + " " + params[i].tensor.shape().str()));
    std::copy(src.values().begin(), src.values().end(), params[i].tensor.data());
  }
}
}  // namespace

TEST_CASE("the whole TESS 1D CNN: logits, every gradient, six Adam steps") {
  Case c("tess_cnn1d_model");
  Rng rng(0);
  Sequential model(ser::zoo::tess_cnn1d_specs(), Shape{1, 2400}, rng, "tess_cnn1d");
  REQUIRE(model.trainable_count() == 481518);
  load_torch_params(model, c);
  const Tensor x = c.tensor("x");
  const auto targets = c.targets("target");

  ForwardContext ctx;  // no dropout in the reference
  Tensor logits = model.forward(x, ctx);
  c.compare("logits", logits.values(), kModelTolerance);
  Tensor loss = softmax_cross_entropy(logits, targets);
  loss.backward(2);
  auto params = model.parameters();
  for (size_t i = 0; i < params.size(); ++i)
    c.compare_grad("grad_" + kTorchIndices[i / 2] + (i % 2 ? "_bias" : "_weight"), params[i].tensor, kModelTolerance);

  // Six Adam steps (PyTorch's defaults: lr 1e-3, eps 1e-8) from the same start.
  load_torch_params(model, c);
  Adam adam(model.parameter_tensors(), AdamOptions{1e-3f, 0.9f, 0.999f, 1e-8f});
  std::vector<float> losses;
  for (int step = 0; step < 6; ++step) {
    adam.zero_grad();
    Tensor l = softmax_cross_entropy(model.forward(x, ctx), targets);
    losses.push_back(l.item());
    l.backward(2);
    adam.step(2);
  }
  c.compare("losses", losses, kModelTolerance);
  c.report();
}

int main(int argc, char** argv) {
  return ser::test::run_requiring(torch_dir() + "/manifest.json", "SER_REFERENCE", argc, argv);
}
