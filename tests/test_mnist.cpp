// Learning on real data: a LeNet-style CNN trained on the first 8000 images
// of ../shared/data/mnist (the official test set, the only part there) for
// two epochs must classify the last 2000 with at least 97% accuracy.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "common/sanitizer.hpp"
#include "datasets/mnist.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/train.hpp"
#include "support/main_requiring.hpp"
#include "support/paths.hpp"

using namespace ser::nn;

namespace {
std::string mnist_dir() { return ser::test::data_dir() + "/mnist"; }

[[maybe_unused]] std::vector<LayerSpec> lenet() {  // unused under the sanitizers (below)
  // LeNet-5's layout with wider convolutions: with the original 6/16
  // filters two epochs on 8000 images end right at 97%, with no margin.
  return {{"conv2d", {{"filters", "16"}, {"kernel", "5"}, {"padding", "same"}, {"activation", "relu"}}},
          {"maxpool2d", {{"pool", "2"}}},
          {"conv2d", {{"filters", "32"}, {"kernel", "5"}, {"activation", "relu"}}},
          {"maxpool2d", {{"pool", "2"}}},
          {"flatten"},
          {"dense", {{"units", "128"}, {"activation", "relu"}}},
          {"dense", {{"units", "10"}}}};
}
}  // namespace

TEST_CASE("a LeNet-style CNN learns MNIST: >= 97% on 2000 held-out images after 2 epochs on 8000") {
#if SER_ADDRESS_SANITIZER
  // Two epochs of training, for their accuracy (2 minutes under the sanitizers); the
  // kernels it runs are test_kernels' and test_layers', which the sanitizers do see.
  MESSAGE("sanitizer build: left to the Release pass");
#else
  const auto set = ser::datasets::load_mnist_test_set(mnist_dir());
  REQUIRE(set.count == 10000);
  REQUIRE(set.rows == 28);
  const Shape sample{1, 28, 28};
  const int64_t n_train = 8000, n_test = 2000, batch = 32;
  // Standardised with the mean and deviation of the training images only.
  const size_t train_values = static_cast<size_t>(n_train * sample.numel());
  double sum = 0, sq = 0;
  for (size_t i = 0; i < train_values; ++i) {
    sum += set.pixels[i] / 255.0;
    sq += (set.pixels[i] / 255.0) * (set.pixels[i] / 255.0);
  }
  const double mean = sum / static_cast<double>(train_values);
  const double stddev = std::sqrt(sq / static_cast<double>(train_values) - mean * mean);
  std::vector<float> pixels(set.pixels.size());
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<float>((set.pixels[i] / 255.0 - mean) / stddev);

  Rng init(2024);
  Sequential model(lenet(), sample, init, "lenet");
  Adam opt(model.parameter_tensors(), AdamOptions{1e-3f});
  Rng shuffle(1), dropout(2);
  std::vector<int64_t> order(static_cast<size_t>(n_train));
  std::iota(order.begin(), order.end(), 0);

  const auto start = std::chrono::steady_clock::now();
  for (int epoch = 0; epoch < 2; ++epoch) {
    shuffle.shuffle(order);
    double loss = 0;
    int64_t correct = 0, steps = 0;
    for (int64_t b = 0; b < n_train; b += batch) {
      const std::span<const int64_t> rows(order.data() + b, static_cast<size_t>(std::min(batch, n_train - b)));
      std::vector<int32_t> y;
      for (int64_t r : rows) y.push_back(set.labels[static_cast<size_t>(r)]);
      const StepResult s = train_step(model, opt, gather_rows(pixels, sample, rows), y, dropout, 2);
      loss += s.loss;
      correct += s.correct;
      ++steps;
    }
    std::printf("mnist epoch %d: loss %.4f, train accuracy %.4f\n", epoch + 1, loss / steps,
                static_cast<double>(correct) / n_train);
  }
  const double train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  int64_t correct = 0;
  for (int64_t b = n_train; b < n_train + n_test; b += 500) {
    std::vector<int64_t> rows(500);
    std::iota(rows.begin(), rows.end(), b);
    const auto predicted = argmax_rows(model.predict(gather_rows(pixels, sample, rows), 2));
    for (size_t i = 0; i < rows.size(); ++i) correct += predicted[i] == set.labels[static_cast<size_t>(rows[i])];
  }
  const double accuracy = static_cast<double>(correct) / n_test;
  std::printf("mnist: test accuracy %.4f on %lld held-out images (training %.1f s)\n", accuracy,
              static_cast<long long>(n_test), train_seconds);
  CHECK(accuracy >= 0.97);
#endif
}

TEST_CASE("MNIST files that are not idx files are refused with the file named") {
  CHECK_THROWS_WITH_AS(
      ser::datasets::load_mnist(mnist_dir() + "/t10k-labels-idx1-ubyte.gz", mnist_dir() + "/t10k-labels-idx1-ubyte.gz"),
      doctest::Contains("is not an idx3 image file"), std::runtime_error);
}

int main(int argc, char** argv) {
  return ser::test::run_requiring(mnist_dir() + "/t10k-images-idx3-ubyte.gz", "SER_DATA", argc, argv);
}
