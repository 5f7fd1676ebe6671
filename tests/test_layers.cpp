// One generic test that exercises any layer (after dlib's test_layer): built
// through Sequential from its spec, the output shape must match shape
// inference; the gradients of the input and of every parameter must match
// finite differences; the same seed must give the same weights; and a model
// file round trip must give identical outputs.
//
// Here the whole layer runs in float32, so the finite differences use a step
// of 1e-2 and accumulate the loss in double; the tolerance is 1e-3 of the
// largest gradient of each tensor (the naive kernels are checked in double
// to 1e-6 in test_kernels_gradcheck). Inputs are spaced so that no ReLU kink
// or max-pool tie lies within a step.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "nn/model_file.hpp"
#include "nn/sequential.hpp"
#include "support/gradcheck.hpp"

using namespace ser::nn;

namespace {
struct LayerCase {
  LayerSpec spec;
  Shape input;  // per sample
  int64_t batch = 3;
  bool training = false;
  bool spaced = false;  // distinct inputs away from zero (ReLU, max-pool)
};

std::vector<LayerCase> layer_cases() {
  return {
      {{"dense", {{"units", "5"}, {"activation", "tanh"}}}, Shape{7}},
      {{"dense", {{"units", "4"}, {"use_bias", "false"}, {"l2", "0.01"}}}, Shape{6}},
      {{"dense", {{"units", "4"}, {"activation", "softmax"}}}, Shape{6}},
      {{"dense", {{"units", "4"}, {"activation", "relu"}, {"kernel_initializer", "he_uniform"}}},
       Shape{6},
       3,
       false,
       true},
      {{"conv1d", {{"filters", "3"}, {"kernel", "4"}, {"stride", "2"}, {"padding", "same"}, {"activation", "tanh"}}},
       Shape{2, 11}},
      {{"conv1d", {{"filters", "2"}, {"kernel", "3"}, {"dilation", "2"}, {"padding", "1"}}}, Shape{3, 10}},
      // ReLU runs fused inside the convolution (one op, masked backward). A
      // difference step of 1e-2 moves bias-shifted pre-activations across
      // ReLU's kink unless none lies near zero, as here; the fused kernels are
      // held to the unfused naive ones (1-D and 2-D) in test_kernels_fast, and
      // the TESS CNN's conv1d + ReLU layers to PyTorch in test_torch_reference.
      {{"conv1d", {{"filters", "3"}, {"kernel", "5"}, {"activation", "relu"}}}, Shape{2, 12}, 3, false, true},
      {{"conv2d",
        {{"filters", "3"}, {"kernel", "3x2"}, {"stride", "2"}, {"padding", "same"}, {"activation", "sigmoid"}}},
       Shape{2, 7, 6}},
      {{"conv2d", {{"filters", "2"}, {"kernel", "3"}, {"dilation", "2"}, {"kernel_initializer", "he_normal"}}},
       Shape{1, 8, 8}},
      {{"maxpool1d", {{"pool", "2"}, {"stride", "3"}}}, Shape{2, 11}, 3, false, true},
      {{"maxpool1d", {{"pool", "3"}, {"padding", "same"}}}, Shape{2, 10}, 3, false, true},
      {{"maxpool2d", {{"pool", "2"}}}, Shape{2, 5, 6}, 3, false, true},
      {{"maxpool2d", {{"pool", "3x2"}, {"stride", "2"}, {"padding", "same"}}}, Shape{1, 7, 7}, 3, false, true},
      {{"avgpool1d", {{"pool", "3"}, {"stride", "2"}, {"padding", "same"}}}, Shape{2, 9}},
      {{"avgpool2d", {{"pool", "2"}}}, Shape{2, 5, 5}},
      {{"dropout", {{"rate", "0.3"}}}, Shape{10}, 3, true},
      {{"flatten"}, Shape{2, 3, 4}},
      {{"reshape", {{"shape", "4x6"}}}, Shape{2, 3, 4}},
      {{"batchnorm"}, Shape{3, 5}, 4, true},
      {{"batchnorm", {{"momentum", "0.9"}, {"epsilon", "1e-5"}}}, Shape{3}, 5, true},
      {{"batchnorm"}, Shape{2, 3, 3}, 3, false},
      {{"lstm", {{"units", "4"}, {"return_sequences", "true"}}}, Shape{5, 3}},
      {{"lstm", {{"units", "3"}}}, Shape{4, 2}},
      {{"gru", {{"units", "4"}, {"return_sequences", "true"}}}, Shape{5, 3}},
      {{"gru", {{"units", "3"}}}, Shape{4, 2}},
      {{"gru", {{"units", "3"}, {"bidirectional", "true"}, {"return_sequences", "true"}}}, Shape{4, 2}},
      {{"gru", {{"units", "3"}, {"bidirectional", "true"}}}, Shape{5, 2}},
      {{"lstm", {{"units", "3"}, {"bidirectional", "true"}, {"return_sequences", "true"}}}, Shape{4, 2}},
      {{"lstm", {{"units", "2"}, {"bidirectional", "true"}}}, Shape{5, 3}},
      {{"stats_pool"}, Shape{6, 4}},
      {{"attention_pool", {{"units", "5"}}}, Shape{6, 4}},
      {{"global_avg_pool"}, Shape{3, 5}},
      {{"global_avg_pool"}, Shape{2, 3, 4}},
      {{"to_sequence"}, Shape{2, 3, 4}},
      {{"add", {{"from", "input"}}}, Shape{2, 3}},  // x + x; named layers: test_model
      {{"relu"}, Shape{6}, 3, false, true},
      {{"tanh"}, Shape{6}},
      {{"sigmoid"}, Shape{6}},
      {{"softmax"}, Shape{6}},
  };
}

// Runs the model in the case's mode; dropout draws from a fresh Rng(7) each
// call so that every evaluation uses the same mask.
Tensor run(Sequential& model, const Tensor& x, bool training) {
  Rng rng(7);
  ForwardContext ctx;
  ctx.training = training;
  ctx.rng = &rng;
  return model.forward(x, ctx);
}

double loss_of(Sequential& model, const Tensor& x, bool training, const std::vector<float>& g) {
  const Tensor y = run(model, x, training);
  double l = 0;
  for (int64_t i = 0; i < y.numel(); ++i) l += static_cast<double>(y.data()[i]) * g[static_cast<size_t>(i)];
  const Tensor reg = model.regularization(ForwardContext{});
  return reg.defined() ? l + reg.item() : l;
}

// Compares up to 24 sampled elements of `t`'s analytic gradient with central differences.
double check_tensor_grad(Sequential& model, const Tensor& x, Tensor t, std::vector<float> analytic, bool training,
                         const std::vector<float>& g, const std::string& what) {
  double scale = 1e-6;
  for (float a : analytic) scale = std::max(scale, static_cast<double>(std::abs(a)));
  const double h = 1e-2;
  double worst = 0;
  const int64_t n = t.numel(), step = std::max<int64_t>(1, n / 24);
  for (int64_t i = 0; i < n; i += step) {
    const float x0 = t.data()[i];
    t.data()[i] = static_cast<float>(x0 + h);
    const double lp = loss_of(model, x, training, g);
    t.data()[i] = static_cast<float>(x0 - h);
    const double lm = loss_of(model, x, training, g);
    t.data()[i] = x0;
    worst = std::max(worst, std::abs((lp - lm) / (2 * h) - analytic[static_cast<size_t>(i)]) / scale);
  }
  INFO(what);
  CHECK(worst < 1e-3);
  return worst;
}
}  // namespace

TEST_CASE("every layer: shape inference, gradients, seeding, model-file round trip") {
  std::vector<std::string> covered;
  for (const LayerCase& c : layer_cases()) {
    const std::string label = c.spec.describe() + " on " + c.input.str() + (c.training ? " training" : "");
    CAPTURE(label);
    covered.push_back(c.spec.type());
    Rng init(11);
    Sequential model({c.spec}, c.input, init);

    // Same seed, same weights.
    Rng init2(11);
    Sequential twin({c.spec}, c.input, init2);
    auto s1 = model.state(), s2 = twin.state();
    for (size_t i = 0; i < s1.size(); ++i)
      CHECK(std::equal(s1[i].tensor.values().begin(), s1[i].tensor.values().end(), s2[i].tensor.values().begin()));

    Rng data(5);
    const Shape xs = c.input.prepend(c.batch);
    std::vector<double> xv = c.spaced ? ser::test::distinct_vector(static_cast<size_t>(xs.numel()), data, 0.1)
                                      : ser::test::random_vector(static_cast<size_t>(xs.numel()), data);
    if (c.spaced)
      for (auto& v : xv) v += v >= 0 ? 0.05 : -0.05;
    Tensor x = Tensor::from(xs, std::vector<float>(xv.begin(), xv.end()), true);

    Tensor y = run(model, x, c.training);
    CHECK(y.shape() == model.output_shape().prepend(c.batch));

    std::vector<float> g(static_cast<size_t>(y.numel()));
    for (auto& v : g) v = data.uniform(-1, 1);
    y.backward(g, 2);
    if (Tensor reg = model.regularization(ForwardContext{}); reg.defined()) reg.backward(2);

    double worst = 0;
    const std::vector<float> gx(x.grad_values().begin(), x.grad_values().end());
    Tensor x_values = x.detach();
    worst = std::max(worst, check_tensor_grad(model, x_values, x_values, gx, c.training, g, label + " d/dx"));
    for (auto& p : model.parameters()) {
      REQUIRE(p.tensor.has_grad());
      const std::vector<float> gp(p.tensor.grad_values().begin(), p.tensor.grad_values().end());
      worst = std::max(worst, check_tensor_grad(model, x_values, p.tensor, gp, c.training, g, label + " d/d" + p.name));
    }
    std::printf("layer %-70s max rel err %.2e\n", label.c_str(), worst);

    // Model file round trip: identical inference outputs and state.
    Sequential loaded = deserialize_model(serialize_model(model), "memory");
    const Tensor a = model.predict(x_values, 2), b = loaded.predict(x_values, 2);
    CHECK(std::equal(a.values().begin(), a.values().end(), b.values().begin()));
    CHECK(loaded.specs().front().describe() == model.specs().front().describe());
  }
  // The generic test covers every registered layer type but knn, which has no
  // gradient (fitted, not trained): its own case below.
  for (const auto& type : layer_types()) {
    if (type == "knn") continue;
    INFO("layer type " << type);
    CHECK(std::find(covered.begin(), covered.end(), type) != covered.end());
  }
}

TEST_CASE("knn: remembered rows survive the model file; training through it is refused") {
  Rng init(1);
  Sequential model({LayerSpec("knn", {{"k", "1"}, {"rows", "3"}, {"classes", "3"}})}, Shape{2}, init);
  auto state = model.state();  // memory [3, 2], labels [3]
  REQUIRE(state.size() == 2);
  const std::vector<float> memory = {0, 0, 5, 5, 0, 5}, labels = {2, 0, 1};
  std::copy(memory.begin(), memory.end(), state[0].tensor.data());
  std::copy(labels.begin(), labels.end(), state[1].tensor.data());
  const Tensor x = Tensor::from(Shape{3, 2}, std::vector<float>{4, 4, 1, 0, 0, 4});
  Sequential loaded = deserialize_model(serialize_model(model), "memory");
  for (Sequential* m : {&model, &loaded}) {
    const Tensor y = m->predict(x, 1);
    for (int64_t r = 0; r < 3; ++r) {
      const float* row = y.data() + r * 3;
      CHECK(std::max_element(row, row + 3) - row == std::vector<int64_t>{0, 2, 1}[static_cast<size_t>(r)]);
    }
  }
  CHECK(model.trainable_count() == 0);
  ForwardContext training;
  training.training = true;
  CHECK_THROWS_WITH(model.forward(x, training), doctest::Contains("is fitted, not trained"));
  CHECK_THROWS_WITH(Sequential({LayerSpec("knn", {{"k", "4"}, {"rows", "3"}, {"classes", "2"}})}, Shape{2}, init),
                    doctest::Contains("rows (3) must be at least k (4)"));
}

TEST_CASE("batch norm: running statistics follow Keras's momentum and are used at inference") {
  Rng init(1);
  Sequential model({LayerSpec("batchnorm", {{"momentum", "0.9"}})}, Shape{1}, init);
  Tensor x = Tensor::from(Shape{4, 1}, std::vector<float>{1, 2, 3, 6});
  ForwardContext train;
  train.training = true;
  model.forward(x, train);
  auto state = model.state();  // gamma, beta, running_mean, running_var
  CHECK(state[2].tensor.data()[0] == doctest::Approx(0.1 * 3.0));
  CHECK(state[3].tensor.data()[0] == doctest::Approx(0.9 * 1.0 + 0.1 * (14.0 / 3.0)));  // unbiased var = 14/3
  const Tensor y = model.predict(x, 2);
  const double mean = 0.3, var = 0.9 + 0.1 * 14.0 / 3.0;
  CHECK(y.data()[3] == doctest::Approx((6.0 - mean) / std::sqrt(var + 1e-3)));
}

TEST_CASE("dropout: identity at inference, inverted scaling in training, seeded") {
  Rng init(1);
  Sequential model({LayerSpec("dropout", {{"rate", "0.5"}})}, Shape{1000}, init);
  Tensor x = Tensor::full(Shape{1, 1000}, 1.0f);
  const Tensor inf = model.predict(x, 2);
  for (float v : inf.values()) CHECK(v == 1.0f);
  Rng r1(3), r2(3);
  ForwardContext c1{true, true, &r1}, c2{true, true, &r2};
  const Tensor a = model.forward(x, c1), b = model.forward(x, c2);
  CHECK(std::equal(a.values().begin(), a.values().end(), b.values().begin()));
  int zeros = 0;
  for (float v : a.values()) {
    CHECK((v == 0.0f || v == 2.0f));
    zeros += v == 0.0f;
  }
  CHECK(zeros > 430);
  CHECK(zeros < 570);
}

TEST_CASE("lstm: Keras's unit forget bias and orthogonal recurrent weights") {
  Rng init(2);
  Sequential model({LayerSpec("lstm", {{"units", "8"}})}, Shape{5, 3}, init);
  auto p = model.parameters();  // weight_ih, weight_hh, bias
  for (int j = 0; j < 32; ++j) CHECK(p[2].tensor.data()[j] == (j >= 8 && j < 16 ? 1.0f : 0.0f));
  // w_hh is [32, 8]: its 8 columns are orthonormal.
  const float* w = p[1].tensor.data();
  for (int a = 0; a < 8; ++a)
    for (int b = 0; b < 8; ++b) {
      double dot = 0;
      for (int r = 0; r < 32; ++r) dot += static_cast<double>(w[r * 8 + a]) * w[r * 8 + b];
      CHECK(dot == doctest::Approx(a == b ? 1.0 : 0.0).scale(1.0).epsilon(1e-5));
    }
}

TEST_CASE("bad layer descriptions name the layer, the argument and a fix") {
  auto message = [](const std::vector<LayerSpec>& specs, const Shape& input) -> std::string {
    try {
      Rng rng(0);
      Sequential m(specs, input, rng);
    } catch (const LayerError& e) {
      return e.what();
    }
    return "no error";
  };
  const std::string typo = message({{"conv1d", {{"filters", "8"}, {"kernal", "3"}}}}, Shape{1, 100});
  CHECK(typo.find("layer 0 (conv1d)") != std::string::npos);
  CHECK(typo.find("unknown argument 'kernal' (did you mean 'kernel'?)") != std::string::npos);

  const std::string type = message({{"dense", {{"units", "3"}}}, {"maxpol1d"}}, Shape{4});
  CHECK(type.find("layer 1 (maxpol1d): unknown layer type 'maxpol1d' (did you mean 'maxpool1d'?)") !=
        std::string::npos);

  // A kernel longer than its input after pooling: the layer at fault is named.
  const std::string shape = message({{"conv1d", {{"filters", "4"}, {"kernel", "5"}}},
                                     {"maxpool1d", {{"pool", "3"}}},
                                     {"conv1d", {{"filters", "4"}, {"kernel", "9"}}}},
                                    Shape{1, 20});
  CHECK(shape.find("layer 2 (conv1d): input [4, 5] does not fit the kernel") != std::string::npos);

  CHECK(message({{"dense", {{"units", "x3"}}}}, Shape{4}).find("argument 'units' must be an integer between -2147483647 and 2147483647, got 'x3'") !=
        std::string::npos);
  CHECK(message({{"dense", {{"units", "3"}}}}, Shape{2, 4}).find("add a flatten layer") != std::string::npos);
  CHECK(message({{"conv1d", {{"filters", "2"}}}}, Shape{1, 4}).find("missing required argument 'kernel'") !=
        std::string::npos);
  CHECK(message({{"reshape", {{"shape", "3x3"}}}}, Shape{8}).find("cannot reshape [8]") != std::string::npos);
}
