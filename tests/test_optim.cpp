// Optimisers (SGD with Nesterov, RMSprop, Adam with Keras's epsilon), gradient
// clipping and learning-rate schedules against the update rules computed by
// hand in double; and bit-for-bit reproducible training.
#include <doctest/doctest.h>

#include <cmath>

#include "nn/optim/optimizer.hpp"
#include "nn/optim/schedule.hpp"
#include "nn/train.hpp"

using namespace ser::nn;

namespace {
// Three steps of an optimizer on one parameter with fixed gradients, against `reference`.
template <typename Opt, typename Ref>
void check_steps(Opt make, Ref reference) {
  const std::vector<float> p0 = {0.5f, -1.0f, 2.0f};
  const std::vector<std::vector<float>> grads = {{0.1f, -0.2f, 0.3f}, {-0.4f, 0.5f, 0.05f}, {0.2f, 0.2f, -0.6f}};
  Tensor p = Tensor::from(Shape{3}, p0, true);
  auto opt = make(std::vector<Tensor>{p});
  std::vector<double> ref(p0.begin(), p0.end());
  for (size_t s = 0; s < grads.size(); ++s) {
    for (int i = 0; i < 3; ++i) p.grad()[i] = grads[s][static_cast<size_t>(i)];
    opt.step(2);
    reference(ref, grads[s], static_cast<int>(s) + 1);
    for (int i = 0; i < 3; ++i) CHECK(p.data()[i] == doctest::Approx(ref[static_cast<size_t>(i)]).epsilon(1e-6));
  }
}
}  // namespace

TEST_CASE("SGD with Nesterov momentum") {
  std::vector<double> v(3, 0.0);
  check_steps(
      [](std::vector<Tensor> p) {
        return Sgd(std::move(p), SgdOptions{0.1f, 0.9f, true});
      },
      [&](std::vector<double>& w, const std::vector<float>& g, int) {
        for (size_t i = 0; i < 3; ++i) {
          v[i] = 0.9 * v[i] + g[i];
          w[i] -= 0.1 * (g[i] + 0.9 * v[i]);
        }
      });
}

TEST_CASE("plain SGD") {
  check_steps(
      [](std::vector<Tensor> p) {
        return Sgd(std::move(p), SgdOptions{0.05f, 0.0f, false});
      },
      [](std::vector<double>& w, const std::vector<float>& g, int) {
        for (size_t i = 0; i < 3; ++i) w[i] -= 0.05 * g[i];
      });
}

TEST_CASE("RMSprop (Keras defaults)") {
  std::vector<double> s(3, 0.0);
  check_steps(
      [](std::vector<Tensor> p) {
        return RmsProp(std::move(p), RmsPropOptions{0.01f, 0.9f, 1e-7f});
      },
      [&](std::vector<double>& w, const std::vector<float>& g, int) {
        for (size_t i = 0; i < 3; ++i) {
          s[i] = 0.9 * s[i] + 0.1 * g[i] * g[i];
          w[i] -= 0.01 * g[i] / (std::sqrt(s[i]) + 1e-7);
        }
      });
}

TEST_CASE("Adam with Keras's epsilon") {
  std::vector<double> m(3, 0.0), v(3, 0.0);
  check_steps([](std::vector<Tensor> p) { return Adam(std::move(p), AdamOptions{}); },
              [&](std::vector<double>& w, const std::vector<float>& g, int t) {
                for (size_t i = 0; i < 3; ++i) {
                  m[i] = 0.9 * m[i] + 0.1 * g[i];
                  v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
                  const double mh = m[i] / (1 - std::pow(0.9, t)), vh = v[i] / (1 - std::pow(0.999, t));
                  w[i] -= 0.001 * mh / (std::sqrt(vh) + 1e-7);
                }
              });
}

TEST_CASE("gradient clipping by global norm and by value") {
  Tensor a = Tensor::zeros(Shape{2}, true), b = Tensor::zeros(Shape{1}, true);
  a.grad()[0] = 3;
  a.grad()[1] = 0;
  b.grad()[0] = 4;
  CHECK(clip_grad_norm({a, b}, 1.0f) == doctest::Approx(5.0));
  CHECK(a.grad()[0] == doctest::Approx(0.6));
  CHECK(b.grad()[0] == doctest::Approx(0.8));
  CHECK(clip_grad_norm({a, b}, 10.0f) == doctest::Approx(1.0));  // below the limit: unchanged
  CHECK(b.grad()[0] == doctest::Approx(0.8));
  clip_grad_value({a, b}, 0.7f);
  CHECK(a.grad()[0] == doctest::Approx(0.6));
  CHECK(b.grad()[0] == doctest::Approx(0.7));
}

TEST_CASE("step decay") {
  StepDecay s{0.1f, 0.5f, 10};
  CHECK(s.lr(0) == doctest::Approx(0.1));
  CHECK(s.lr(9) == doctest::Approx(0.1));
  CHECK(s.lr(10) == doctest::Approx(0.05));
  CHECK(s.lr(25) == doctest::Approx(0.025));
}

TEST_CASE("ReduceLROnPlateau as Keras: patience, factor, cooldown, floor") {
  ReduceLROnPlateau r(0.5f, 2, 0.1f, 0.0f, 1);
  float lr = 1.0f;
  const float losses[] = {1.0f, 0.9f, 0.95f, 0.92f, 0.93f, 0.94f, 0.95f, 0.96f, 0.97f, 0.98f, 0.99f};
  std::vector<float> lrs;
  for (float l : losses) lrs.push_back(lr = r.update(l, lr));
  // Keras's callback: epochs 2 and 3 do not improve -> halve at 3 and start a
  // one-epoch cooldown. The cooldown counter is decremented at the start of
  // epoch 4, which then already counts toward patience: halve again at 5, 7,
  // and at 9 the floor of 0.1 stops the decay.
  CHECK(lrs == std::vector<float>{1.0f, 1.0f, 1.0f, 0.5f, 0.5f, 0.25f, 0.25f, 0.125f, 0.125f, 0.1f, 0.1f});
  ReduceLROnPlateau floor(0.1f, 0, 0.05f);
  CHECK(floor.update(1.0f, 1.0f) == 1.0f);
  CHECK(floor.update(2.0f, 1.0f) == doctest::Approx(0.1f));
  CHECK(floor.update(2.0f, 0.1f) == doctest::Approx(0.05f));
}

TEST_CASE("same seed, same data: bit-for-bit identical training") {
  auto train = [](uint64_t seed) {
    Rng init(seed);
    Sequential model({{"conv1d", {{"filters", "4"}, {"kernel", "5"}, {"activation", "relu"}}},
                      {"maxpool1d", {{"pool", "2"}}},
                      {"flatten"},
                      {"dropout", {{"rate", "0.3"}}},
                      {"dense", {{"units", "3"}}}},
                     Shape{1, 32}, init);
    Adam opt(model.parameter_tensors(), AdamOptions{});
    Rng data(99), drop(seed + 1);
    std::vector<float> losses;
    for (int step = 0; step < 20; ++step) {
      Tensor x = Tensor::zeros(Shape{8, 1, 32});
      std::vector<int32_t> y(8);
      for (int i = 0; i < 8; ++i) {
        y[static_cast<size_t>(i)] = static_cast<int32_t>(data.below(3));
        for (int t = 0; t < 32; ++t)
          x.data()[i * 32 + t] = std::sin(0.2f * (1 + y[static_cast<size_t>(i)]) * t) + 0.3f * data.normal();
      }
      losses.push_back(train_step(model, opt, x, y, drop, 2).loss);
    }
    return losses;
  };
  const auto a = train(1), b = train(1), c = train(2);
  CHECK(a == b);
  CHECK(a != c);
  CHECK(a.back() < a.front());
}
