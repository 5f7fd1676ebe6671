// Augmentation redrawn every epoch beyond the masks and images: the waveform
// (speed perturbation, gain, noise at an SNR; datasets/wave_augment) and
// mixup (datasets/mixup, and the blended loss in nn::train_step).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>
#include <set>
#include <vector>

#include "datasets/mixup.hpp"
#include "datasets/wave_augment.hpp"
#include "nn/layers/layer_spec.hpp"
#include "nn/ops.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/sequential.hpp"
#include "nn/train.hpp"

using ser::datasets::Mixup;
using ser::datasets::WaveAugment;

namespace {
constexpr int kRate = 16000;

std::vector<float> sine(double hz, int n) {
  std::vector<float> y(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) y[static_cast<size_t>(i)] = static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * hz * i / kRate));
  return y;
}

// Upward zero crossings per second: the sine's frequency.
double frequency(const std::vector<float>& y) {
  int crossings = 0;
  for (size_t i = 1; i < y.size(); ++i) crossings += y[i - 1] < 0 && y[i] >= 0;
  return crossings * static_cast<double>(kRate) / static_cast<double>(y.size());
}

double power(const std::vector<float>& y) {
  double p = 0;
  for (float v : y) p += static_cast<double>(v) * v;
  return p / static_cast<double>(y.size());
}
}  // namespace

TEST_CASE("speed perturbation: 0.9, 1.0 or 1.1 times as fast, tempo and pitch together, the same per (seed, epoch, row)") {
  WaveAugment a;
  a.speed = 0.1;
  const std::vector<float> y = sine(220, kRate);
  std::set<size_t> lengths;
  for (uint64_t row = 0; row < 60; ++row) {
    ser::Rng rng = ser::datasets::wave_augment_rng(3, 2, row), again = ser::datasets::wave_augment_rng(3, 2, row);
    const std::vector<float> out = a.apply(y, kRate, rng);
    CHECK(out == a.apply(y, kRate, again));
    lengths.insert(out.size());
    // Length n / f and frequency 220 f: played f times as fast.
    const double f = static_cast<double>(y.size()) / static_cast<double>(out.size());
    CHECK((std::abs(f - 0.9) < 1e-3 || std::abs(f - 1.0) < 1e-12 || std::abs(f - 1.1) < 1e-3));
    CHECK(frequency(out) == doctest::Approx(220 * f).epsilon(0.01));
  }
  CHECK(lengths == std::set<size_t>{14546, 16000, 17778});  // ceil(16000 / 1.1), 16000, ceil(16000 / 0.9)
  CHECK(ser::datasets::wave_augment_rng(3, 3, 0).next_u64() != ser::datasets::wave_augment_rng(3, 2, 0).next_u64());
}

TEST_CASE("gain within its dB range, both ways; noise at the drawn SNR on the share of rows asked for") {
  const std::vector<float> y = sine(300, kRate);
  WaveAugment gain;
  gain.gain_db = 6;
  double lowest = 0, highest = 0;
  for (uint64_t row = 0; row < 200; ++row) {
    ser::Rng rng = ser::datasets::wave_augment_rng(1, 1, row);
    const std::vector<float> out = gain.apply(y, kRate, rng);
    const double db = 10 * std::log10(power(out) / power(y));
    CHECK(std::abs(db) <= 6.0 + 1e-4);
    lowest = std::min(lowest, db);
    highest = std::max(highest, db);
  }
  CHECK(lowest < -5);
  CHECK(highest > 5);

  WaveAugment noise;
  noise.noise_probability = 0.5;
  noise.snr_min = noise.snr_max = 20;
  int noisy = 0;
  for (uint64_t row = 0; row < 100; ++row) {
    ser::Rng rng = ser::datasets::wave_augment_rng(1, 1, row);
    const std::vector<float> out = noise.apply(y, kRate, rng);
    std::vector<float> diff(out.size());
    for (size_t i = 0; i < out.size(); ++i) diff[i] = out[i] - y[i];
    if (power(diff) == 0) continue;
    ++noisy;
    CHECK(10 * std::log10(power(y) / power(diff)) == doctest::Approx(20).epsilon(0.02));
  }
  CHECK(noisy > 35);
  CHECK(noisy < 65);
  WaveAugment backwards;
  backwards.snr_min = 30, backwards.snr_max = 10;
  CHECK_THROWS_WITH_AS(backwards.validate(), doctest::Contains("snr_min (30 dB) must not exceed snr_max (10 dB)"),
                       ser::SettingError);
  CHECK(WaveAugment{}.identity());
}

TEST_CASE("mixup blends each row with its partner by Beta's lambda; the same per (seed, epoch, batch)") {
  Mixup m;
  m.alpha = 0.4;
  const int64_t n = 6, size = 5;
  std::vector<float> x(static_cast<size_t>(n * size));
  std::iota(x.begin(), x.end(), 0.0f);
  const std::vector<float> original = x;
  ser::Rng rng = ser::datasets::mixup_rng(9, 1, 1), again = ser::datasets::mixup_rng(9, 1, 1);
  const Mixup::Draw d = m.apply(x.data(), n, size, rng);
  CHECK(d.lambda >= 0);
  CHECK(d.lambda <= 1);
  std::vector<int64_t> sorted = d.partner;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == std::vector<int64_t>{0, 1, 2, 3, 4, 5});
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < size; ++k) {
      const auto j = d.partner[static_cast<size_t>(i)];
      const float want = static_cast<float>(d.lambda) * original[static_cast<size_t>(i * size + k)] +
                         (1 - static_cast<float>(d.lambda)) * original[static_cast<size_t>(j * size + k)];
      // To float rounding, not bit for bit: whether the blend is one fused
      // multiply-add depends on the optimisation level (GCC forms FMAs from
      // -O2 on; the suites' own code is -O1 in Release). `y == x` below
      // holds the bits to the same build.
      CHECK(x[static_cast<size_t>(i * size + k)] == doctest::Approx(want).epsilon(1e-6));
    }
  std::vector<float> y = original;
  const Mixup::Draw e = m.apply(y.data(), n, size, again);
  CHECK(e.lambda == d.lambda);
  CHECK(y == x);
}

TEST_CASE("train_step with mixup: the loss is lambda CE(y) + (1 - lambda) CE(y[partner]), weights and smoothing kept") {
  using namespace ser::nn;
  ser::Rng init(4), dropout(5);
  Sequential model({LayerSpec("dense", {{"units", "3"}})}, Shape{4}, init, "mix");
  Tensor x = Tensor::zeros(Shape{5, 4});
  for (int64_t i = 0; i < x.numel(); ++i) x.data()[i] = std::sin(0.7f * static_cast<float>(i));
  const std::vector<int32_t> y = {0, 1, 2, 1, 0};
  const std::vector<int64_t> partner = {2, 0, 1, 4, 3};
  const std::vector<int32_t> y_b = {2, 0, 1, 0, 1};
  const std::vector<float> weights = {1.0f, 2.0f, 0.5f};
  const Tensor logits = model.predict(x, 1);
  const float lambda = 0.3f;
  const double want = lambda * softmax_cross_entropy(logits, y, weights, 0.1f).item() +
                      (1 - lambda) * softmax_cross_entropy(logits, y_b, weights, 0.1f).item();
  Sgd opt(model.parameter_tensors(), SgdOptions{.lr = 1e-3f});
  StepOptions o;
  o.class_weights = weights;
  o.label_smoothing = 0.1f;
  o.mix_partner = partner;
  o.mix_weight = lambda;
  CHECK(train_step(model, opt, x, y, dropout, 1, o).loss == doctest::Approx(want).epsilon(1e-6));
  o.mix_partner = std::vector<int64_t>{0, 1};
  CHECK_THROWS_WITH_AS(train_step(model, opt, x, y, dropout, 1, o), doctest::Contains("mixup: 2 partners for 5 rows"),
                       std::invalid_argument);
}
