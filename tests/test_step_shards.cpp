// Data-parallel training steps (nn/step_shards.hpp). Run alone, and by CTest
// under mpirun with 2 ranks: a step on this rank's shards, with the
// gradients folded over the ranks, leaves the weights bit for bit where a
// step of one process over all shards leaves them, for models with every
// layer that sums over the batch (dense, convolutions with the fused pool,
// BatchNorm, dropout, LSTM, GRU, attention pooling), with class weights,
// label smoothing, mixup and an L2 penalty. And shards only change the
// order of sums: a step over 4 shards is within float rounding of one over 1.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <memory>

#include "common/communicator.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/sequential.hpp"
#include "nn/train.hpp"

using namespace ser::nn;

namespace {

const ser::Communicator* world = nullptr;

struct Case {
  const char* name;
  std::vector<LayerSpec> layers;
  Shape input;
};

std::vector<Case> cases() {
  return {
      {"conv1d + batchnorm + fused pool + dropout + dense (l2)",
       {{"conv1d", {{"filters", "6"}, {"kernel", "3"}, {"activation", "relu"}}},
        {"maxpool1d", {{"pool", "2"}}},
        {"batchnorm"},
        {"dropout", {{"rate", "0.3"}}},
        {"flatten"},
        {"dense", {{"units", "8"}, {"activation", "relu"}, {"l2", "0.01"}}},
        {"dense", {{"units", "4"}}}},
       Shape{2, 24}},
      {"conv2d + batchnorm + global pool",
       {{"conv2d", {{"filters", "4"}, {"kernel", "3"}, {"activation", "relu"}}},
        {"batchnorm"},
        {"maxpool2d", {{"pool", "2"}}},
        {"flatten"},
        {"dense", {{"units", "4"}}}},
       Shape{1, 10, 10}},
      {"lstm + gru + attention pool",
       {{"lstm", {{"units", "6"}, {"return_sequences", "true"}}},
        {"gru", {{"units", "5"}, {"return_sequences", "true"}}},
        {"attention_pool", {{"units", "4"}}},
        {"dense", {{"units", "4"}}}},
       Shape{7, 3}},
  };
}

struct Batch {
  Tensor x;
  std::vector<int32_t> y;
  std::vector<int64_t> partner;
};

Batch batch_of(const Shape& input, int64_t rows) {
  ser::Rng rng(7);
  Batch b{Tensor::zeros(input.prepend(rows)), {}, {}};
  for (int64_t i = 0; i < b.x.numel(); ++i) b.x.data()[i] = rng.normal();
  for (int64_t i = 0; i < rows; ++i) {
    b.y.push_back(static_cast<int32_t>(rng.below(4)));
    b.partner.push_back(rows - 1 - i);
  }
  return b;
}

enum class Optim { adam, sgd };

// The weights after two steps of a fresh model on `b`, cut into `count` shards over `comm`.
std::vector<float> weights_after(const Case& c, const Batch& b, int count, const ser::Communicator& comm,
                                 Optim optim = Optim::adam) {
  ser::Rng init(3), dropout(11);
  Sequential model(c.layers, c.input, init, c.name);
  std::unique_ptr<Optimizer> opt;
  if (optim == Optim::adam)
    opt = std::make_unique<Adam>(model.parameter_tensors(), AdamOptions{.lr = 0.01f});
  else
    opt = std::make_unique<Sgd>(model.parameter_tensors(), SgdOptions{.lr = 0.01f});
  const std::vector<float> weights = {1.0f, 2.0f, 0.5f, 1.5f};
  StepShards shards(count, comm);
  for (int step = 0; step < 2; ++step) {
    StepOptions o;
    o.class_weights = weights;
    o.label_smoothing = 0.1f;
    o.mix_partner = b.partner;
    o.mix_weight = 0.7f;
    o.clip_norm = 5.0f;
    o.shards = &shards;
    const StepResult r = train_step(model, *opt, b.x, b.y, dropout, 2, o);
    REQUIRE(std::isfinite(r.loss));
  }
  std::vector<float> out;  // weights and BatchNorm's running statistics
  for (auto& [name, t] : model.state()) out.insert(out.end(), t.data(), t.data() + t.numel());
  return out;
}

}  // namespace

TEST_CASE("a step on every rank's shards equals one process's step over the same shards, bit for bit") {
  const ser::Communicator one;
  for (const Case& c : cases())
    for (int count : {2, 4, 5}) {
      if (count < world->size()) continue;
      const Batch b = batch_of(c.input, 13);  // 13 rows: shards of unequal size
      const auto alone = weights_after(c, b, count, one);
      const auto shared = weights_after(c, b, count, *world);
      INFO(std::string(c.name), ", ", count, " shards over ", world->size(), " ranks");
      REQUIRE(alone.size() == shared.size());
      CHECK(std::memcmp(alone.data(), shared.data(), alone.size() * sizeof(float)) == 0);
    }
}

TEST_CASE("shards change only the order of sums: 4 shards are within rounding of 1") {
  // By SGD, whose step is the gradient times the rate: Adam's second step
  // divides by the gradients' own size and can multiply a rounding
  // difference many times over (clang's rounding of the recurrent case came
  // out 20 times GCC's there), which would test Adam, not the sums.
  const ser::Communicator one;
  for (const Case& c : cases()) {
    const Batch b = batch_of(c.input, 13);
    const auto whole = weights_after(c, b, 1, one, Optim::sgd), cut = weights_after(c, b, 4, one, Optim::sgd);
    REQUIRE(whole.size() == cut.size());
    double worst = 0;
    for (size_t i = 0; i < whole.size(); ++i)
      worst = std::max(worst, std::abs(double(whole[i]) - cut[i]) / (1e-3 + std::abs(double(whole[i]))));
    INFO(std::string(c.name), ": largest relative difference ", worst);
    CHECK(worst < 1e-4);
    CHECK(whole != cut);  // the sums really were cut (else this case checks nothing)
  }
}

int main(int argc, char** argv) {
  ser::MpiSession mpi(argc, argv);
  world = &mpi.world();
  doctest::Context context(argc, argv);
  return context.run();
}
