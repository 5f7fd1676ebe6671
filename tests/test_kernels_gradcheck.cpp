// What the kernel table (tests/support/kernel_cases.hpp, run by
// test_kernels.cpp) cannot say about the naive kernels: what happens exactly
// at ReLU's kink and at max-pool ties (the table's inputs avoid both), at
// extreme inputs, dropout's scaling and the window geometry.
#include <doctest/doctest.h>

#include <cstdio>
#include <stdexcept>

#include "nn/kernels/activation.hpp"
#include "nn/kernels/batchnorm.hpp"
#include "nn/kernels/conv.hpp"
#include "nn/kernels/cross_entropy.hpp"
#include "nn/kernels/dense.hpp"
#include "nn/kernels/geometry.hpp"
#include "nn/kernels/lstm.hpp"
#include "nn/kernels/pool.hpp"
#include "support/gradcheck.hpp"
#include "support/kernel_cases.hpp"

using namespace ser::nn;
using ser::test::Arrays;
using ser::test::GradCase;
using ser::test::gradcheck;
using Vec = std::vector<double>;

namespace {
Vec zeros(size_t n) { return Vec(n, 0.0); }
void report(const std::string& name, double err) {
  std::printf("gradcheck %-32s max rel err %.2e\n", name.c_str(), err);
}

}  // namespace

TEST_CASE("max-pool ties go to the first position, and only it gets the gradient") {
  const Pool2dShape s = ser::test::pool_shape(1, 1, 6, 1, 3, 1, 3, Padding::valid);
  const double x[6] = {1.0, 5.0, 5.0, 2.0, 2.0, 2.0};
  double y[2];
  int32_t arg[2];
  maxpool2d_forward_naive(x, y, arg, s);
  CHECK(arg[0] == 1);
  CHECK(arg[1] == 3);
  const double dy[2] = {1.0, 1.0};
  double dx[6] = {};
  maxpool2d_backward_naive(arg, dy, dx, s);
  CHECK(dx[1] == 1.0);
  CHECK(dx[2] == 0.0);
  CHECK(dx[3] == 1.0);
  CHECK(dx[4] == 0.0);
}

TEST_CASE("relu at exactly zero has derivative zero (as PyTorch and TensorFlow)") {
  const double x[3] = {-1.0, 0.0, 2.0}, dy[3] = {1.0, 1.0, 1.0};
  double dx[3] = {};
  relu_backward(x, dy, dx, 3);
  CHECK(dx[0] == 0.0);
  CHECK(dx[1] == 0.0);
  CHECK(dx[2] == 1.0);
}

TEST_CASE("sigmoid does not overflow for large inputs") {
  const double x[2] = {-800.0, 800.0};
  double y[2];
  sigmoid_forward(x, y, 2);
  CHECK(y[0] == doctest::Approx(0.0));
  CHECK(y[1] == doctest::Approx(1.0));
}

TEST_CASE("cross-entropy stays finite for extreme logits") {
  const double logits[2] = {1000.0, -1000.0};
  const int32_t t = 1;
  double p[2];
  const double loss = cross_entropy_forward(logits, &t, static_cast<const double*>(nullptr), p, 1, 2);
  CHECK(loss == doctest::Approx(2000.0));
}

TEST_CASE("dropout's scaling") {
  Rng rng(8);
  Vec scale(30);
  for (auto& v : scale) v = rng.uniform() < 0.3 ? 0.0 : 1.0 / 0.7;
  GradCase c;
  c.name = "dropout scale";
  c.input_names = {"x"};
  c.inputs = {ser::test::random_vector(30, rng)};
  c.forward = [scale](const Arrays& a) {
    Vec y(a[0].size());
    scale_forward(a[0].data(), scale.data(), y.data(), 30);
    return y;
  };
  c.backward = [scale](const Arrays& a, const Vec& dy) {
    Arrays g{zeros(a[0].size())};
    scale_backward(scale.data(), dy.data(), g[0].data(), 30);
    return g;
  };
  report("dropout", gradcheck(c, rng));
}

TEST_CASE("window geometry follows TensorFlow's same and PyTorch's explicit padding") {
  // TF: out = ceil(in / stride), padding split with the smaller half first.
  Extent e = window_extent(10, 3, 3, 1, Padding::same);
  CHECK(e.out == 4);
  CHECK(e.pad_before == 1);
  CHECK(e.pad_after == 1);
  e = window_extent(128, 2, 3, 1, Padding::same);  // the RAVDESS model's pool 2 stride 3
  CHECK(e.out == 43);
  CHECK(e.pad_before == 0);
  CHECK(e.pad_after == 0);
  e = window_extent(17, 4, 2, 1, Padding::explicit_pad, 2);
  CHECK(e.out == 9);
  CHECK_THROWS_AS(window_extent(5, 7, 1, 1, Padding::valid), std::invalid_argument);
}
