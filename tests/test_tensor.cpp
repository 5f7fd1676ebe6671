// Tensor storage, views, and the autograd engine itself.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <tuple>
#include <vector>

#include "nn/ops.hpp"
#include "nn/tensor.hpp"

using namespace ser::nn;

TEST_CASE("storage is zeroed and 64-byte aligned") {
  for (int64_t n : {1, 3, 17, 1000}) {
    Tensor t = Tensor::zeros(Shape{n});
    CHECK(reinterpret_cast<uintptr_t>(t.data()) % 64 == 0);
    for (float v : t.values()) CHECK(v == 0.0f);
  }
}

TEST_CASE("shapes") {
  const Shape s{2, 3, 4};
  CHECK(s.rank() == 3);
  CHECK(s.numel() == 24);
  CHECK(s.str() == "[2, 3, 4]");
  CHECK(s.drop_front() == Shape{3, 4});
  CHECK(Shape{3, 4}.prepend(2) == s);
  CHECK_THROWS_AS(Shape({1, 2, 3, 4, 5, 6, 7}), std::invalid_argument);
  CHECK_THROWS_AS(Shape({2, -1}), std::invalid_argument);
}

TEST_CASE("reshape is a view: same storage, no copy") {
  Tensor t = Tensor::zeros(Shape{2, 3, 4});
  Tensor v = t.reshape(Shape{6, 4});
  CHECK(v.data() == t.data());
  v.data()[5] = 7.0f;
  CHECK(t.data()[5] == 7.0f);
  CHECK_THROWS_AS(t.reshape(Shape{5, 5}), std::invalid_argument);
}

TEST_CASE("gradients flow through a reshape view") {
  Tensor x = Tensor::from(Shape{2, 2}, std::vector<float>{1, 2, 3, 4}, true);
  Tensor loss = sum_squares(x.reshape(Shape{4}));
  loss.backward(2);
  const auto g = x.grad_values();
  CHECK(g[0] == 2.0f);
  CHECK(g[3] == 8.0f);
}

TEST_CASE("gradients accumulate over backward calls until zero_grad") {
  Tensor x = Tensor::from(Shape{1}, std::vector<float>{3}, true);
  sum_squares(x).backward(2);
  sum_squares(x).backward(2);
  CHECK(x.grad_values()[0] == 12.0f);
  x.zero_grad();
  CHECK(x.grad_values()[0] == 0.0f);
}

TEST_CASE("a tensor used twice gets both contributions (diamond graph)") {
  Tensor x = Tensor::from(Shape{3}, std::vector<float>{1, -2, 3}, true);
  Tensor a = scale(x, 2.0f);
  Tensor b = relu(x);
  Tensor loss = sum_squares(add(a, b));  // sum (2x + relu(x))^2
  loss.backward(2);
  // d/dx = 2 (2x + relu x) (2 + [x > 0])
  CHECK(x.grad_values()[0] == doctest::Approx(2 * 3 * 3));
  CHECK(x.grad_values()[1] == doctest::Approx(2 * -4 * 2));
  CHECK(x.grad_values()[2] == doctest::Approx(2 * 9 * 3));
}

TEST_CASE("the graph is released after backward; leaves keep their gradients") {
  Tensor x = Tensor::from(Shape{2}, std::vector<float>{1, 2}, true);
  Tensor loss = sum_squares(relu(x));
  std::weak_ptr<TensorImpl> hidden = loss.impl().inputs.at(0);
  CHECK(!hidden.expired());
  loss.backward(2);
  CHECK(hidden.expired());
  CHECK(loss.impl().inputs.empty());
  CHECK(x.has_grad());
}

TEST_CASE("inference records nothing") {
  Tensor w = Tensor::from(Shape{1, 2}, std::vector<float>{1, 1}, true);
  Tensor x = Tensor::from(Shape{1, 2}, std::vector<float>{1, 2});
  Tensor y = dense(x, w.detach(), Tensor(), 2);
  CHECK(!y.requires_grad());
  CHECK(y.impl().inputs.empty());
  CHECK(!y.impl().backward);
  CHECK(y.item() == 3.0f);
  CHECK_THROWS_AS(y.backward(2), std::logic_error);
}

TEST_CASE("backward needs a scalar or an upstream gradient of the right size") {
  Tensor x = Tensor::from(Shape{2}, std::vector<float>{1, 2}, true);
  Tensor y = relu(x);
  CHECK_THROWS_AS(y.backward(2), std::logic_error);
  CHECK_THROWS_AS(y.backward(std::vector<float>{1, 2, 3}, 2), std::logic_error);
  y.backward(std::vector<float>{0.5f, 2.0f}, 2);
  CHECK(x.grad_values()[1] == 2.0f);
}

TEST_CASE("ops reject shapes that cannot work, saying why") {
  Tensor x = Tensor::zeros(Shape{2, 3, 10});
  Tensor w = Tensor::zeros(Shape{4, 2, 3});
  try {
    conv1d(x, w, Tensor(), Conv1dOptions{}, false, nullptr, 2);
    FAIL("expected an error");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("does not fit input [2, 3, 10]") != std::string::npos);
  }
  CHECK_THROWS_AS(conv1d(x, Tensor::zeros(Shape{4, 3, 11}), Tensor(), Conv1dOptions{}, false, nullptr, 2), std::invalid_argument);
  CHECK_THROWS_AS(softmax_cross_entropy(Tensor::zeros(Shape{2, 3}), std::vector<int32_t>{0, 3}), std::invalid_argument);
}

TEST_CASE("Rng: same seed, same stream; uniform in range; normal roughly standard") {
  Rng a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) CHECK(a.next_u64() == b.next_u64());
  CHECK(Rng(42).next_u64() != c.next_u64());
  Rng r(1);
  double sum = 0, sq = 0;
  float lo = 1.0f, hi = 0.0f;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const float u = r.uniform();
    lo = std::min(lo, u);
    hi = std::max(hi, u);
    const double z = r.normal();
    sum += z;
    sq += z * z;
  }
  CHECK(lo >= 0.0f);
  CHECK(hi < 1.0f);
  CHECK(hi > 0.99f);
  CHECK(sum / n == doctest::Approx(0.0).epsilon(0.01).scale(1.0));
  CHECK(sq / n == doctest::Approx(1.0).epsilon(0.01));
  for (uint64_t k : {1u, 7u, 1000u}) CHECK(r.below(k) < k);
  // A restored state continues the same stream, normal()'s spare value included.
  Rng x(9);
  x.normal();
  const Rng::State saved = x.state();
  const float n1 = x.normal(), u1 = x.uniform();
  x.restore(saved);
  CHECK(x.normal() == n1);
  CHECK(x.uniform() == u1);
}

// Moments of Gamma and Beta draws against their formulas, within five
// standard errors (the variance's standard error from the fourth moment).
TEST_CASE("Rng: gamma and beta draws have the distributions' mean and variance") {
  constexpr int n = 200000;
  const auto moments = [](auto draw) {
    std::vector<double> v(n);
    double mean = 0;
    for (double& x : v) mean += (x = draw());
    mean /= n;
    double var = 0, m4 = 0;
    for (double x : v) {
      var += (x - mean) * (x - mean);
      m4 += std::pow(x - mean, 4);
    }
    return std::tuple{mean, var / n, m4 / n};
  };
  Rng r(5);
  for (double k : {0.2, 1.0, 2.5, 9.0}) {
    CAPTURE(k);
    const auto [mean, var, m4] = moments([&] { return r.gamma(k); });
    CHECK(std::abs(mean - k) < 5 * std::sqrt(k / n));
    CHECK(std::abs(var - k) < 5 * std::sqrt((m4 - var * var) / n));
  }
  for (const auto& shape : {std::pair{0.2, 0.2}, {0.4, 0.4}, {2.0, 5.0}}) {
    const double a = shape.first, b = shape.second;  // clang 14's lambdas cannot capture structured bindings
    CAPTURE(a);
    CAPTURE(b);
    const auto [mean, var, m4] = moments([&] { return r.beta(a, b); });
    const double want_var = a * b / ((a + b) * (a + b) * (a + b + 1));
    CHECK(std::abs(mean - a / (a + b)) < 5 * std::sqrt(want_var / n));
    CHECK(std::abs(var - want_var) < 5 * std::sqrt((m4 - var * var) / n));
  }
  // Every draw in the support; a small shape puts many near its ends.
  for (int i = 0; i < 10000; ++i) {
    const double x = r.beta(0.2, 0.2);
    CHECK((x >= 0 && x <= 1));
  }
}
