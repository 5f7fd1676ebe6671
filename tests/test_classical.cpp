// Classical baselines (model.kind logistic, linear_svm, knn): the logistic
// objective's gradient against finite differences, the solvers' optimality
// and thread independence, kNN's votes and ties on rows worked by hand, and
// all three fitted on real data (MNIST, 2x2-pooled to 14x14: 2000 training
// and 1000 test images). Those rows and ser's predictions are written to
// $SER_CLASSICAL_CASES for tests/classical_sklearn.py, which fits
// scikit-learn's LogisticRegression, LinearSVC(loss="hinge") and
// KNeighborsClassifier on the same rows and requires ser's accuracy within a
// point of each (CTest: classical_sklearn).
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

#include "common/npy.hpp"
#include "common/rng.hpp"
#include "datasets/mnist.hpp"
#include "experiments/classical_fit.hpp"
#include "nn/classical/linear_svm.hpp"
#include "nn/classical/logistic_regression.hpp"
#include "support/main_requiring.hpp"
#include "support/paths.hpp"

using namespace ser::nn::classical;
namespace fs = std::filesystem;

namespace {
struct Data {
  std::vector<float> x;
  std::vector<int32_t> y;
  int64_t n = 0, d = 0;
  int classes = 0;
  Rows rows() const { return {x, y, n, d, classes}; }
};

Data separable_rows(int64_t n, int64_t d, int classes, uint64_t seed) {
  ser::Rng rng(seed);
  Data t{{}, {}, n, d, classes};
  for (int64_t i = 0; i < n; ++i) {
    const int32_t c = static_cast<int32_t>(i % classes);
    t.y.push_back(c);
    for (int64_t j = 0; j < d; ++j) t.x.push_back(rng.uniform(-1, 1) + (j == c ? 1.5f : 0.0f));
  }
  return t;
}

std::vector<int32_t> predictions(ser::nn::Sequential& model, const std::vector<float>& x, int64_t n, int64_t d) {
  const auto out = model.predict(ser::nn::Tensor::from(ser::nn::Shape{n, d}, x), 2);
  std::vector<int32_t> pred;
  for (int64_t i = 0; i < n; ++i) {
    const float* row = out.data() + i * out.dim(1);
    pred.push_back(static_cast<int32_t>(std::max_element(row, row + out.dim(1)) - row));
  }
  return pred;
}

double accuracy(const std::vector<int32_t>& pred, const std::vector<int32_t>& y) {
  int64_t right = 0;
  for (size_t i = 0; i < y.size(); ++i) right += pred[i] == y[i];
  return static_cast<double>(right) / static_cast<double>(y.size());
}

fs::path cases_dir() {
  const char* set = std::getenv("SER_CLASSICAL_CASES");
  return set ? fs::path(set) : fs::current_path() / "classical_cases";
}

// MNIST images 2x2 average-pooled to 14 x 14 and scaled to [0, 1].
Data mnist_rows(const ser::datasets::MnistSet& set, int64_t first, int64_t count) {
  Data t{{}, {}, count, 196, 10};
  for (int64_t i = first; i < first + count; ++i) {
    const uint8_t* img = set.pixels.data() + i * 784;
    for (int r = 0; r < 14; ++r)
      for (int c = 0; c < 14; ++c)
        t.x.push_back((img[2 * r * 28 + 2 * c] + img[2 * r * 28 + 2 * c + 1] + img[(2 * r + 1) * 28 + 2 * c] +
                       img[(2 * r + 1) * 28 + 2 * c + 1]) /
                      (4.0f * 255.0f));
    t.y.push_back(set.labels[static_cast<size_t>(i)]);
  }
  return t;
}

ser::experiments::PreparedData prepared(const Data& train) {
  ser::experiments::PreparedData p;
  for (int c = 0; c < train.classes; ++c) p.corpus.labels.push_back(std::to_string(c));
  p.x = train.x;
  p.y = train.y;
  p.sample_shape = ser::nn::Shape{train.d};
  return p;
}
}  // namespace

TEST_CASE("logistic regression: the objective's gradient is its derivative (central differences, double)") {
  const Data t = separable_rows(30, 4, 3, 1);
  ser::Rng rng(2);
  std::vector<double> theta(3 * 5), g(theta.size()), scratch(theta.size());
  for (double& v : theta) v = rng.uniform(-1, 1);
  logistic_objective(t.rows(), 0.5, theta, g);
  for (size_t j = 0; j < theta.size(); ++j) {
    const double h = 1e-6, keep = theta[j];
    theta[j] = keep + h;
    const double up = logistic_objective(t.rows(), 0.5, theta, scratch);
    theta[j] = keep - h;
    const double down = logistic_objective(t.rows(), 0.5, theta, scratch);
    theta[j] = keep;
    CHECK(g[j] == doctest::Approx((up - down) / (2 * h)).epsilon(1e-6));
  }
}

TEST_CASE("the solvers reach their optimum and give the same bits on any thread count") {
  const Data t = separable_rows(120, 6, 3, 3);
  const LinearModel lr = fit_logistic(t.rows(), {.C = 2.0});
  CHECK(lr.converged);
  std::vector<double> theta(lr.weight.begin(), lr.weight.end()), g(theta.size() + 3);
  theta.insert(theta.end(), lr.bias.begin(), lr.bias.end());
  logistic_objective(t.rows(), 2.0, theta, g);
  for (double v : g) CHECK(std::abs(v) < 1e-5);  // float weights: the gradient at their rounding
  const LinearModel one = fit_linear_svm(t.rows(), {.C = 1.0, .seed = 9}, 1);
  const LinearModel two = fit_linear_svm(t.rows(), {.C = 1.0, .seed = 9}, 2);
  CHECK(one.converged);
  CHECK(one.weight == two.weight);
  CHECK(one.bias == two.bias);
  // Nudging the optimum any way makes the primal objective worse.
  const auto primal = [&](const std::vector<float>& w, const std::vector<float>& b, int c) {
    double norm = b[static_cast<size_t>(c)] * b[static_cast<size_t>(c)], hinge = 0;
    for (int64_t j = 0; j < t.d; ++j) norm += w[static_cast<size_t>(c * t.d + j)] * w[static_cast<size_t>(c * t.d + j)];
    for (int64_t i = 0; i < t.n; ++i) {
      double s = b[static_cast<size_t>(c)];
      for (int64_t j = 0; j < t.d; ++j)
        s += w[static_cast<size_t>(c * t.d + j)] * t.x[static_cast<size_t>(i * t.d + j)];
      hinge += std::max(0.0, 1.0 - (t.y[static_cast<size_t>(i)] == c ? 1.0 : -1.0) * s);
    }
    return 0.5 * norm + hinge;
  };
  for (int c = 0; c < 3; ++c)
    for (size_t j = 0; j < one.weight.size(); j += 5) {
      auto w = one.weight;
      w[j] += 0.05f;
      CHECK(primal(w, one.bias, c) >= primal(one.weight, one.bias, c) - 1e-3);
    }
  CHECK_THROWS_WITH_AS(fit_logistic({t.x, t.y, t.n, t.d + 1, 3}, {}), doctest::Contains("not 120 x 7"),
                       std::invalid_argument);
}

TEST_CASE("knn: the k nearest rows vote; tied votes go to the lower class, as scikit-learn's") {
  ser::experiments::ExperimentConfig c;
  c.model.kind = ser::experiments::ModelKind::knn;
  c.model.k = 3;
  const Data train{{0, 1, 2, 10, 11}, {0, 0, 1, 1, 1}, 5, 1, 2};
  std::ostringstream log;
  auto model = ser::experiments::fit_classical(c, prepared(train), {0, 1, 2, 3, 4}, 1, log);
  const auto out = model.predict(ser::nn::Tensor::from(ser::nn::Shape{3, 1}, std::vector<float>{0.4f, 9.0f, 1.5f}), 1);
  const auto share = [&](int64_t row, int64_t cls) {
    const float* o = out.data() + row * 2;
    return std::exp(o[cls]) / (std::exp(o[0]) + std::exp(o[1]));
  };
  CHECK(share(0, 0) == doctest::Approx(2.0 / 3).epsilon(1e-6));  // 0, 1 and 2: two votes of three
  CHECK(share(1, 1) == doctest::Approx(1.0).epsilon(1e-6));      // 10, 11 and 2
  c.model.k = 2;
  auto pair = ser::experiments::fit_classical(c, prepared(train), {0, 1, 2, 3, 4}, 1, log);
  CHECK(predictions(pair, {1.5f}, 1, 1) == std::vector<int32_t>{0});  // 1 and 2 at 0.5: one vote each
  CHECK(predictions(pair, {2.1f}, 1, 1) == std::vector<int32_t>{0});  // 2 and 1 still nearer than 10: 1-1 again
}

TEST_CASE("on MNIST (14 x 14): the three baselines learn; rows and predictions written for scikit-learn") {
  const auto set = ser::datasets::load_mnist_test_set(ser::test::data_dir() + "/mnist");
  const Data train = mnist_rows(set, 0, 2000), test = mnist_rows(set, 2000, 1000);
  const fs::path dir = cases_dir();
  fs::create_directories(dir);
  const auto labels = [](const std::vector<int32_t>& y) { return std::vector<float>(y.begin(), y.end()); };
  ser::write_npy((dir / "x_train.npy").string(), {train.n, train.d}, train.x);
  ser::write_npy((dir / "y_train.npy").string(), {train.n}, labels(train.y));
  ser::write_npy((dir / "x_test.npy").string(), {test.n, test.d}, test.x);
  ser::write_npy((dir / "y_test.npy").string(), {test.n}, labels(test.y));
  std::vector<size_t> all(static_cast<size_t>(train.n));
  std::iota(all.begin(), all.end(), 0);
  for (const auto kind : {ser::experiments::ModelKind::logistic, ser::experiments::ModelKind::linear_svm,
                          ser::experiments::ModelKind::knn}) {
    ser::experiments::ExperimentConfig c;
    c.model.kind = kind;
    std::ostringstream log;
    auto model = ser::experiments::fit_classical(c, prepared(train), all, 2, log);
    const auto pred = predictions(model, test.x, test.n, test.d);
    const std::string name = ser::name_of(kind, ser::experiments::kModelKinds);
    std::printf("mnist 14x14, %s: test accuracy %.4f (%s)\n", name.c_str(), accuracy(pred, test.y),
                log.str().substr(0, log.str().find('\n')).c_str());
    CHECK(accuracy(pred, test.y) > 0.8);
    ser::write_npy((dir / ("pred_" + name + ".npy")).string(), {test.n}, labels(pred));
  }
}

int main(int argc, char** argv) {
  return ser::test::run_requiring(ser::test::data_dir() + "/mnist", "SER_DATA", argc, argv);
}
