// Sequential models: shape inference and summaries of the published models,
// and model files (round trip, corruption, truncation, atomic writes).
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/atomic_file.hpp"
#include "common/sanitizer.hpp"
#include "nn/model_file.hpp"
#include "nn/ops.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/train.hpp"
#include "nn/sequential.hpp"
#include "zoo/published_models.hpp"

using namespace ser::nn;
namespace fs = std::filesystem;

namespace {
fs::path temp_dir() {
  fs::path d = fs::temp_directory_path() / ("ser_test_model_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}
std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
Tensor random_input(const Shape& s, uint64_t seed) {
  Rng r(seed);
  Tensor t = Tensor::zeros(s);
  for (auto& v : t.values()) v = r.uniform(-1, 1);
  return t;
}
}  // namespace

TEST_CASE("the TESS 1D CNN: 481,518 parameters and the published output lengths") {
  Rng rng(1);
  Sequential model(ser::zoo::tess_cnn1d_specs(), Shape{1, 2400}, rng, "tess_cnn1d");
  CHECK(model.trainable_count() == 481518);
  std::vector<int64_t> lengths;
  for (const Shape& s : model.layer_output_shapes()) lengths.push_back(s.back());
  CHECK(lengths == std::vector<int64_t>{2388, 796, 786, 262, 254, 84, 78, 26, 1664, 256, 128, 14});
  const std::string summary = model.summary();
  MESSAGE(summary);
  CHECK(summary.find("Total params: 481,518") != std::string::npos);
  for (const char* row : {"(None, 8, 2388)", "(None, 8, 796)", "(None, 16, 786)", "(None, 16, 262)", "(None, 32, 254)",
                          "(None, 32, 84)", "(None, 64, 78)", "(None, 64, 26)", "(None, 1664)"})
    CHECK_MESSAGE(summary.find(row) != std::string::npos, row);
  CHECK(summary.find("conv1d_1 (Conv1D)") != std::string::npos);
  // Dropout adds no parameters.
  Sequential with_dropout(ser::zoo::tess_cnn1d_specs(true), Shape{1, 2400}, rng);
  CHECK(with_dropout.trainable_count() == 481518);
}

TEST_CASE("the FER CNN: 2,345,607 parameters") {
  Rng rng(1);
  Sequential model(ser::zoo::fer_cnn_specs(), Shape{1, 48, 48}, rng, "fer_cnn");
  const std::string summary = model.summary();
  MESSAGE(summary);
  CHECK(model.trainable_count() == 2345607);
  CHECK(summary.find("Total params: 2,345,607") != std::string::npos);
  CHECK(model.output_shape() == Shape{7});
}

TEST_CASE("batch norm statistics count as non-trainable, as in Keras") {
  Rng rng(1);
  Sequential model({{"conv1d", {{"filters", "4"}, {"kernel", "3"}}}, {"batchnorm"}}, Shape{2, 10}, rng);
  CHECK(model.trainable_count() == 4 * 2 * 3 + 4 + 8);
  CHECK(model.non_trainable_count() == 8);
  CHECK(model.summary().find("Non-trainable params: 8") != std::string::npos);
}

TEST_CASE("same seed, same weights; another seed, other weights") {
  Rng a(5), b(5), c(6);
  Sequential ma(ser::zoo::tess_cnn1d_specs(), Shape{1, 2400}, a);
  Sequential mb(ser::zoo::tess_cnn1d_specs(), Shape{1, 2400}, b);
  Sequential mc(ser::zoo::tess_cnn1d_specs(), Shape{1, 2400}, c);
  const auto pa = ma.parameters(), pb = mb.parameters(), pc = mc.parameters();
  for (size_t i = 0; i < pa.size(); i += 2) {  // weights (biases start at zero)
    CHECK(std::equal(pa[i].tensor.values().begin(), pa[i].tensor.values().end(), pb[i].tensor.values().begin()));
    CHECK(!std::equal(pa[i].tensor.values().begin(), pa[i].tensor.values().end(), pc[i].tensor.values().begin()));
  }
  // Glorot uniform: all weights within sqrt(6 / (fan_in + fan_out)).
  const float limit = std::sqrt(6.0f / (13.0f + 8 * 13.0f));
  for (float w : pa[0].tensor.values()) CHECK(std::abs(w) <= limit);
}

TEST_CASE("save then load gives identical predictions, labels and feature settings") {
  const fs::path dir = temp_dir();
  Rng rng(3);
  Sequential model(ser::zoo::tess_cnn1d_specs(true), Shape{1, 2400}, rng, "tess_cnn1d");
  model.labels = {"OAF_angry", "OAF_disgust", "OAF_fear", "OAF_happy", "OAF_neutral", "OAF_ps", "OAF_sad",
                  "YAF_angry", "YAF_disgust", "YAF_fear", "YAF_happy", "YAF_neutral", "YAF_ps", "YAF_sad"};
  model.feature_settings = "kind: mfcc\nn_mfcc: 20\nframes: 120\n";
  const std::string path = (dir / "tess.sermodel").string();
  save_model(model, path);
  Sequential loaded = load_model(path);
  const Tensor x = random_input(Shape{3, 1, 2400}, 9);
  const Tensor a = model.predict(x, 2), b = loaded.predict(x, 2);
  REQUIRE(a.shape() == b.shape());
  CHECK(std::equal(a.values().begin(), a.values().end(), b.values().begin()));
  CHECK(loaded.labels == model.labels);
  CHECK(loaded.feature_settings == model.feature_settings);
  CHECK(loaded.name() == "tess_cnn1d");
  CHECK(loaded.summary() == model.summary());
  // Written atomically: no temporary file is left beside it.
  for (const auto& e : fs::directory_iterator(dir)) CHECK(e.path().filename() == "tess.sermodel");
  fs::remove_all(dir);
}

TEST_CASE("flipping any single byte of a model file is detected with a clear message") {
  Rng rng(4);
  Sequential model({{"conv1d", {{"filters", "2"}, {"kernel", "3"}}}, {"flatten"}, {"dense", {{"units", "3"}}}},
                   Shape{1, 8}, rng, "small");
  model.labels = {"a", "b", "c"};
  const std::string good = serialize_model(model);
  REQUIRE_NOTHROW(deserialize_model(good, "good"));
  int detected = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    try {
      deserialize_model(bad, "flipped.sermodel");
      FAIL("byte " << i << " flipped and not detected");
    } catch (const ModelFileError& e) {
      const std::string m = e.what();
      CHECK(m.find("model file 'flipped.sermodel'") != std::string::npos);
      const bool explained =
          m.find("checksum mismatch") != std::string::npos || m.find("not a ser model file") != std::string::npos ||
          m.find("format version") != std::string::npos || m.find("truncated") != std::string::npos ||
          m.find("unexpected bytes") != std::string::npos;
      CHECK_MESSAGE(explained, m);
      ++detected;
    }
  }
  CHECK(detected == static_cast<int>(good.size()));
}

TEST_CASE("truncated, empty, foreign and future files are refused, naming the file") {
  Rng rng(4);
  Sequential model({{"dense", {{"units", "3"}}}}, Shape{4}, rng);
  const std::string good = serialize_model(model);
  for (size_t len : {size_t{0}, size_t{5}, size_t{19}, size_t{24}, good.size() / 2, good.size() - 1}) {
    CAPTURE(len);
    try {
      deserialize_model(good.substr(0, len), "cut.sermodel");
      FAIL("truncation not detected");
    } catch (const ModelFileError& e) {
      const std::string m = e.what();
      CHECK(m.find("'cut.sermodel'") != std::string::npos);
      CHECK((m.find("truncated") != std::string::npos || m.find("not a ser model file") != std::string::npos));
    }
  }
  std::string future = good;
  future[8] = 2;
  CHECK_THROWS_WITH_AS(deserialize_model(future, "f"), doctest::Contains("format version 2"), ModelFileError);
  CHECK_THROWS_WITH_AS(deserialize_model("RIFF....WAVEfmt ", "song.wav"), doctest::Contains("not a ser model file"),
                       ModelFileError);
  CHECK_THROWS_WITH_AS(load_model("/nonexistent/dir/m.sermodel"), doctest::Contains("model file '/nonexistent/dir/m.sermodel': no such file"),
                       ModelFileError);
}

TEST_CASE("an atomic write that fails leaves the old file untouched") {
  const fs::path dir = temp_dir();
  const std::string path = (dir / "metrics.json").string();
  write_file_atomically(path, "old");
  CHECK(read_file(path) == "old");
  write_file_atomically(path, "new contents");
  CHECK(read_file(path) == "new contents");
  CHECK_THROWS_WITH_AS(write_file_atomically((dir / "missing" / "x").string(), "data"),
                       doctest::Contains("cannot write"), std::runtime_error);
  CHECK(read_file(path) == "new contents");
  fs::remove_all(dir);
}

TEST_CASE("input of the wrong shape is refused with the expected shape") {
  Rng rng(1);
  Sequential model(ser::zoo::tess_cnn1d_specs(), Shape{1, 2400}, rng);
  CHECK_THROWS_WITH_AS(model.predict(Tensor::zeros(Shape{2, 1, 2000}), 2),
                       doctest::Contains("expects input [batch, 1, 2400], got [2, 1, 2000]"), std::invalid_argument);
}

TEST_CASE("after the first step, training takes no tensor memory from the system") {
#if SER_ADDRESS_SANITIZER
  MESSAGE("sanitizer build: the buffer pool is off so that use-after-free stays visible; skipped");
#else
  Rng init(1), dropout(2);
  Sequential model(ser::zoo::tess_cnn1d_specs(true), Shape{1, 2400}, init);
  Adam opt(model.parameter_tensors(), AdamOptions{});
  const Tensor x = random_input(Shape{32, 1, 2400}, 3);
  std::vector<int32_t> y(32);
  for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<int32_t>(i % 14);
  train_step(model, opt, x, y, dropout, 2);
  train_step(model, opt, x, y, dropout, 2);  // gradients exist from here on
  const auto before = buffer_pool_stats();
  for (int i = 0; i < 3; ++i) train_step(model, opt, x, y, dropout, 2);
  const auto after = buffer_pool_stats();
  MESSAGE("3 steps: " << after.reused - before.reused << " buffers reused, "
                      << after.system_allocations - before.system_allocations << " from the system");
  CHECK(after.system_allocations == before.system_allocations);
  CHECK(after.reused > before.reused);
#endif
}

TEST_CASE("a relu convolution and the max pool after it, fused, give the layer-by-layer bits") {
  struct Case {
    const char* name;
    std::vector<LayerSpec> specs;
    Shape input;
    int64_t batch, classes;
  };
  const std::vector<Case> cases = {
      {"tess_cnn1d", ser::zoo::tess_cnn1d_specs(true), Shape{1, 2400}, 3, 14},
      {"ravdess_mel_cnn", ser::zoo::ravdess_mel_cnn_specs(), Shape{1, 128, 165}, 2, 8},  // pool 2, stride 3
      {"overlapping same-padded 2-D pool",
       {LayerSpec("conv2d", {{"filters", "5"}, {"kernel", "3"}, {"activation", "relu"}}),
        LayerSpec("maxpool2d", {{"pool", "3"}, {"stride", "2"}, {"padding", "same"}}), LayerSpec("flatten", {}),
        LayerSpec("dense", {{"units", "4"}})},
       Shape{2, 11, 13}, 3, 4}};
  for (const Case& c : cases) {
    CAPTURE(c.name);
    auto run = [&](bool fuse) {
      Rng init(1), dropout(2);
      Sequential model(c.specs, c.input, init, c.name);
      ForwardContext ctx{true, true, &dropout, fuse};
      const Tensor x = random_input(c.input.prepend(c.batch), 3);
      std::vector<int32_t> y(static_cast<size_t>(c.batch));
      for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<int32_t>(i % static_cast<size_t>(c.classes));
      Tensor loss = softmax_cross_entropy(model.forward(x, ctx), y);
      loss.backward(2);
      std::vector<float> bits{loss.item()};
      for (auto& p : model.parameters()) bits.insert(bits.end(), p.tensor.grad_values().begin(), p.tensor.grad_values().end());
      return bits;
    };
    const auto fused = run(true), layered = run(false);
    REQUIRE(fused.size() > 1);
    CHECK(fused == layered);
  }
}

TEST_CASE("after zero_grad, backward writes the parameter gradients afresh (stale values are not added to)") {
  // zero_grad leaves the buffers as they are and marks them stale; kernels
  // that write a whole gradient then overwrite it, the others clear it
  // first. Either way a second pass over the same batch must give the first
  // pass's gradients, not twice them.
  struct Case {
    const char* name;
    std::vector<LayerSpec> specs;
    Shape input;
    bool fuse;
  };
  const std::vector<Case> cases = {{"tess_cnn1d fused", ser::zoo::tess_cnn1d_specs(true), Shape{1, 2400}, true},
                                   {"tess_cnn1d layer by layer", ser::zoo::tess_cnn1d_specs(true), Shape{1, 2400}, false},
                                   {"lstm", ser::zoo::lstm_specs(), Shape{100, 40}, true}};
  for (const Case& c : cases) {
    CAPTURE(c.name);
    Rng init(1);
    Sequential model(c.specs, c.input, init, c.name);
    const Tensor x = random_input(c.input.prepend(3), 3);
    const std::vector<int32_t> y = {0, 1, 2};
    auto grads = [&] {
      Rng dropout(2);
      ForwardContext ctx{true, true, &dropout, c.fuse};
      softmax_cross_entropy(model.forward(x, ctx), y).backward(2);
      std::vector<float> g;
      for (auto& p : model.parameters()) g.insert(g.end(), p.tensor.grad_values().begin(), p.tensor.grad_values().end());
      return g;
    };
    const auto first = grads();
    REQUIRE(std::any_of(first.begin(), first.end(), [](float v) { return v != 0.0f; }));
    for (auto& p : model.parameters()) p.tensor.zero_grad();
    CHECK(grads() == first);
    for (auto& p : model.parameters()) p.tensor.zero_grad();
    size_t nonzero = 0;  // read while stale: zeros
    for (auto& p : model.parameters())
      for (float v : p.tensor.grad_values()) nonzero += v != 0.0f;
    CHECK(nonzero == 0);
  }
}

TEST_CASE("multiply-add counts of the TESS CNN and the LSTM, as counted by hand") {
  Rng rng(1);
  // conv 8x1x13 at 2388 positions, 16x8x11 at 786, 32x16x9 at 254, 64x32x7 at 78; dense 1664x256, 256x128, 128x14.
  const Sequential tess(ser::zoo::tess_cnn1d_specs(true), Shape{1, 2400}, rng);
  const int64_t conv1 = 8 * 13 * 2388, rest = 16 * 8 * 11 * 786 + 32 * 16 * 9 * 254 + 64 * 32 * 7 * 78 +
                                                 1664 * 256 + 256 * 128 + 128 * 14;
  CHECK(tess.forward_macs() == conv1 + rest);  // 4,104,224
  CHECK(tess.training_macs() == 2 * conv1 + 3 * rest);  // no input gradient for the first layer
  // LSTM: 512x40 input products at 100 steps, 512x128 recurrent at 99 (twice more backward), dense 128x7.
  const Sequential lstm(ser::zoo::lstm_specs(), Shape{100, 40}, rng);
  const int64_t in = 512 * 40 * 100, rec = int64_t{512} * 128 * 99, dense = 128 * 7;
  CHECK(lstm.forward_macs() == in + rec + dense);
  CHECK(lstm.training_macs() == 2 * in + 3 * rec + 3 * dense);
}

TEST_CASE("residual connections: named outputs added further on, checked shapes, the summary, a model file round trip") {
  // conv block with a skip: y = relu(bn(conv(x0))) + x0, with x0 the first conv's output.
  const std::vector<LayerSpec> specs = {
      LayerSpec("conv1d", {{"filters", "4"}, {"kernel", "3"}, {"padding", "same"}, {"name", "stem"}}),
      LayerSpec("conv1d", {{"filters", "4"}, {"kernel", "3"}, {"padding", "same"}}),
      LayerSpec("batchnorm"),
      LayerSpec("relu"),
      LayerSpec("add", {{"from", "stem"}}),
      LayerSpec("flatten"),
      LayerSpec("dense", {{"units", "3"}})};
  Rng rng(3);
  Sequential model(specs, Shape{2, 10}, rng);
  CHECK(model.summary().find("add_1 (Add + stem)") != std::string::npos);
  CHECK(model.layer_names()[0] == "stem");

  Rng data(5);
  Tensor x = Tensor::zeros(Shape{3, 2, 10}, true);
  for (int64_t i = 0; i < x.numel(); ++i) x.data()[i] = data.uniform(-1.0f, 1.0f);
  ForwardContext ctx;
  ctx.training = false;
  Tensor y = model.forward(x, ctx);
  // The same by hand, layer by layer, with the model's own layers.
  ForwardContext by_hand;
  by_hand.training = false;
  const Tensor stem = model.layer(0).forward(x, by_hand);
  Tensor h = model.layer(3).forward(model.layer(2).forward(model.layer(1).forward(stem, by_hand), by_hand), by_hand);
  h = model.layer(6).forward(model.layer(5).forward(add(h, stem), by_hand), by_hand);
  const auto vec = [](std::span<const float> v) { return std::vector<float>(v.begin(), v.end()); };
  CHECK(vec(y.values()) == vec(h.values()));
  // The gradient reaches the input through both paths.
  y.backward(std::vector<float>(static_cast<size_t>(y.numel()), 1.0f), 1);
  const auto grads = [&x] { return std::vector<float>(x.grad_values().begin(), x.grad_values().end()); };
  const std::vector<float> via_model = grads();
  x.zero_grad();
  h.backward(std::vector<float>(static_cast<size_t>(h.numel()), 1.0f), 1);
  CHECK(grads() == via_model);

  const std::string path = (std::filesystem::temp_directory_path() / "ser_residual_test.sermodel").string();
  save_model(model, path);
  Sequential loaded = load_model(path);
  std::filesystem::remove(path);
  CHECK(vec(loaded.predict(x, 1).values()) == vec(model.predict(x, 1).values()));

  // Mistakes name the layer and say what is wrong.
  const auto error = [&](std::vector<LayerSpec> s) {
    try {
      Rng r(1);
      Sequential m(s, Shape{2, 10}, r);
    } catch (const LayerError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error({LayerSpec("relu"), LayerSpec("add", {{"from", "nowhere"}})}).find("no earlier layer is named 'nowhere'") !=
        std::string::npos);
  CHECK(error({LayerSpec("conv1d", {{"filters", "3"}, {"kernel", "3"}, {"name", "a"}}), LayerSpec("add", {{"from", "input"}})})
            .find("'input' gives [2, 10] but this layer's input is [3, 8]") != std::string::npos);
  CHECK(error({LayerSpec("relu", {{"name", "a"}}), LayerSpec("relu", {{"name", "a"}})}).find("name 'a' is taken") !=
        std::string::npos);
}
