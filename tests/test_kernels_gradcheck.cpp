// Every naive kernel's backward against finite differences, in double.
// ReLU kinks and max-pool ties are handled deliberately: the generic checks
// use inputs away from the kink and without ties, and separate cases pin
// down what happens exactly at them.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cstdio>

#include "nn/kernels/activation.hpp"
#include "nn/kernels/batchnorm.hpp"
#include "nn/kernels/conv.hpp"
#include "nn/kernels/cross_entropy.hpp"
#include "nn/kernels/dense.hpp"
#include "nn/kernels/geometry.hpp"
#include "nn/kernels/lstm.hpp"
#include "nn/kernels/pool.hpp"
#include "support/gradcheck.hpp"

using namespace ser::nn;
using ser::test::Arrays;
using ser::test::GradCase;
using ser::test::gradcheck;
using Vec = std::vector<double>;

namespace {
Vec zeros(size_t n) { return Vec(n, 0.0); }
size_t sz(int64_t n) { return static_cast<size_t>(n); }
void report(const std::string& name, double err) {
  std::printf("gradcheck %-32s max rel err %.2e\n", name.c_str(), err);
}

Conv2dShape conv2d_shape(int64_t n, int64_t c, int64_t h, int64_t w, int64_t f, int64_t kh, int64_t kw, int64_t sh,
                         int64_t sw, int64_t dh, int64_t dw, Padding p, int64_t pad_h = 0, int64_t pad_w = 0) {
  Conv2dShape s{n, c, h, w, f, kh, kw, sh, sw, dh, dw, 0, 0, 0, 0};
  const Extent eh = window_extent(h, kh, sh, dh, p, pad_h), ew = window_extent(w, kw, sw, dw, p, pad_w);
  s.pad_top = eh.pad_before;
  s.pad_left = ew.pad_before;
  s.out_h = eh.out;
  s.out_w = ew.out;
  return s;
}

void check_conv2d(const std::string& name, const Conv2dShape& s, Rng& rng) {
  GradCase c;
  c.name = name;
  c.input_names = {"x", "w", "b"};
  c.inputs = {ser::test::random_vector(sz(s.batch * s.in_channels * s.in_h * s.in_w), rng),
              ser::test::random_vector(sz(s.out_channels * s.in_channels * s.kernel_h * s.kernel_w), rng),
              ser::test::random_vector(sz(s.out_channels), rng)};
  const size_t ny = sz(s.batch * s.out_channels * s.out_h * s.out_w);
  c.forward = [s, ny](const Arrays& in) {
    Vec y(ny);
    conv2d_forward_naive(in[0].data(), in[1].data(), in[2].data(), y.data(), s);
    return y;
  };
  c.backward = [s](const Arrays& in, const Vec& dy) {
    Arrays g{zeros(in[0].size()), zeros(in[1].size()), zeros(in[2].size())};
    conv2d_backward_naive(in[0].data(), in[1].data(), dy.data(), g[0].data(), g[1].data(), g[2].data(), s);
    return g;
  };
  report(name, gradcheck(c, rng));
}

Pool2dShape pool_shape(int64_t planes, int64_t h, int64_t w, int64_t ph, int64_t pw, int64_t sh, int64_t sw,
                       Padding p) {
  Pool2dShape s{planes, h, w, ph, pw, sh, sw, 0, 0, 0, 0};
  const Extent eh = window_extent(h, ph, sh, 1, p), ew = window_extent(w, pw, sw, 1, p);
  s.pad_top = eh.pad_before;
  s.pad_left = ew.pad_before;
  s.out_h = eh.out;
  s.out_w = ew.out;
  return s;
}

void check_pool(const std::string& name, const Pool2dShape& s, bool max, Rng& rng) {
  GradCase c;
  c.name = name;
  c.input_names = {"x"};
  const size_t nx = sz(s.planes * s.in_h * s.in_w), ny = sz(s.planes * s.out_h * s.out_w);
  c.inputs = {max ? ser::test::distinct_vector(nx, rng) : ser::test::random_vector(nx, rng)};
  c.forward = [s, ny, max](const Arrays& in) {
    Vec y(ny);
    std::vector<int32_t> arg(ny);
    if (max)
      maxpool2d_forward_naive(in[0].data(), y.data(), arg.data(), s);
    else
      avgpool2d_forward_naive(in[0].data(), y.data(), s);
    return y;
  };
  c.backward = [s, ny, max](const Arrays& in, const Vec& dy) {
    Arrays g{zeros(in[0].size())};
    if (max) {
      Vec y(ny);
      std::vector<int32_t> arg(ny);
      maxpool2d_forward_naive(in[0].data(), y.data(), arg.data(), s);
      maxpool2d_backward_naive(arg.data(), dy.data(), g[0].data(), s);
    } else {
      avgpool2d_backward_naive(dy.data(), g[0].data(), s);
    }
    return g;
  };
  report(name, gradcheck(c, rng));
}

using Unary = void (*)(const double*, double*, int64_t);
using UnaryBack = void (*)(const double*, const double*, double*, int64_t);
void check_unary(const std::string& name, Unary f, UnaryBack b, bool from_output, Vec x, Rng& rng) {
  GradCase c;
  c.name = name;
  c.input_names = {"x"};
  c.inputs = {std::move(x)};
  c.forward = [f](const Arrays& in) {
    Vec y(in[0].size());
    f(in[0].data(), y.data(), static_cast<int64_t>(y.size()));
    return y;
  };
  c.backward = [f, b, from_output](const Arrays& in, const Vec& dy) {
    Vec y(in[0].size());
    f(in[0].data(), y.data(), static_cast<int64_t>(y.size()));
    Arrays g{zeros(in[0].size())};
    b(from_output ? y.data() : in[0].data(), dy.data(), g[0].data(), static_cast<int64_t>(y.size()));
    return g;
  };
  report(name, gradcheck(c, rng));
}
}  // namespace

TEST_CASE("dense") {
  Rng rng(1);
  const int64_t N = 3, in = 5, out = 4;
  GradCase c;
  c.name = "dense";
  c.input_names = {"x", "w", "b"};
  c.inputs = {ser::test::random_vector(sz(N * in), rng), ser::test::random_vector(sz(out * in), rng),
              ser::test::random_vector(sz(out), rng)};
  c.forward = [=](const Arrays& a) {
    Vec y(sz(N * out));
    dense_forward_naive(a[0].data(), a[1].data(), a[2].data(), y.data(), N, in, out);
    return y;
  };
  c.backward = [=](const Arrays& a, const Vec& dy) {
    Arrays g{zeros(a[0].size()), zeros(a[1].size()), zeros(a[2].size())};
    dense_backward_naive(a[0].data(), a[1].data(), dy.data(), g[0].data(), g[1].data(), g[2].data(), N, in, out);
    return g;
  };
  report("dense", gradcheck(c, rng));
}

TEST_CASE("conv1d and conv2d: valid, same, strided, dilated, explicit padding") {
  Rng rng(2);
  // 1-D convolutions are 2-D with height 1; these go through conv1d's own entry points too.
  for (auto [name, s] : {std::pair{"conv1d valid", Conv1dShape{2, 3, 11, 4, 5, 1, 1, 0, 7}},
                         std::pair{"conv1d stride2 pad2", Conv1dShape{2, 3, 9, 2, 4, 2, 1, 2, 5}},
                         std::pair{"conv1d dilation2", Conv1dShape{1, 2, 12, 3, 3, 1, 2, 0, 8}}}) {
    GradCase c;
    c.name = name;
    c.input_names = {"x", "w", "b"};
    c.inputs = {ser::test::random_vector(sz(s.batch * s.in_channels * s.in_len), rng),
                ser::test::random_vector(sz(s.out_channels * s.in_channels * s.kernel), rng),
                ser::test::random_vector(sz(s.out_channels), rng)};
    const Conv1dShape shape = s;
    c.forward = [shape](const Arrays& a) {
      Vec y(sz(shape.batch * shape.out_channels * shape.out_len));
      conv1d_forward_naive(a[0].data(), a[1].data(), a[2].data(), y.data(), shape);
      return y;
    };
    c.backward = [shape](const Arrays& a, const Vec& dy) {
      Arrays g{zeros(a[0].size()), zeros(a[1].size()), zeros(a[2].size())};
      conv1d_backward_naive(a[0].data(), a[1].data(), dy.data(), g[0].data(), g[1].data(), g[2].data(), shape);
      return g;
    };
    report(name, gradcheck(c, rng));
  }
  check_conv2d("conv2d valid", conv2d_shape(2, 2, 6, 5, 3, 3, 3, 1, 1, 1, 1, Padding::valid), rng);
  check_conv2d("conv2d same stride2", conv2d_shape(1, 2, 7, 6, 2, 3, 2, 2, 2, 1, 1, Padding::same), rng);
  check_conv2d("conv2d same 5x5", conv2d_shape(1, 1, 6, 7, 2, 5, 5, 1, 1, 1, 1, Padding::same), rng);
  check_conv2d("conv2d dilation 2x1", conv2d_shape(1, 2, 8, 6, 2, 3, 3, 1, 1, 2, 1, Padding::valid), rng);
  check_conv2d("conv2d explicit pad 1x2", conv2d_shape(2, 1, 5, 5, 2, 3, 3, 2, 1, 1, 1, Padding::explicit_pad, 1, 2),
               rng);
}

TEST_CASE("pooling: max and average, valid and same, stride different from the pool") {
  Rng rng(3);
  check_pool("maxpool1d 3", pool_shape(4, 1, 20, 1, 3, 1, 3, Padding::valid), true, rng);
  check_pool("maxpool1d 2 stride 3", pool_shape(3, 1, 17, 1, 2, 1, 3, Padding::valid), true, rng);
  check_pool("maxpool1d 3 same", pool_shape(2, 1, 10, 1, 3, 1, 3, Padding::same), true, rng);
  check_pool("maxpool2d 2", pool_shape(3, 9, 8, 2, 2, 2, 2, Padding::valid), true, rng);
  check_pool("maxpool2d 2 stride 3 same", pool_shape(2, 8, 7, 2, 2, 3, 3, Padding::same), true, rng);
  check_pool("avgpool1d 3 stride 2 same", pool_shape(2, 1, 9, 1, 3, 1, 2, Padding::same), false, rng);
  check_pool("avgpool2d 2", pool_shape(2, 5, 6, 2, 2, 2, 2, Padding::valid), false, rng);
  check_pool("avgpool2d 3 same", pool_shape(1, 7, 7, 3, 3, 2, 2, Padding::same), false, rng);
}

TEST_CASE("max-pool ties go to the first position, and only it gets the gradient") {
  const Pool2dShape s = pool_shape(1, 1, 6, 1, 3, 1, 3, Padding::valid);
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

TEST_CASE("activations") {
  Rng rng(4);
  check_unary("relu", relu_forward<double>, relu_backward<double>, false, ser::test::away_from_zero(40, rng), rng);
  check_unary("tanh", tanh_forward<double>, tanh_backward<double>, true, ser::test::random_vector(40, rng, -3, 3), rng);
  check_unary("sigmoid", sigmoid_forward<double>, sigmoid_backward<double>, true,
              ser::test::random_vector(40, rng, -6, 6), rng);

  GradCase c;
  c.name = "softmax";
  c.input_names = {"x"};
  c.inputs = {ser::test::random_vector(3 * 7, rng, -3, 3)};
  c.forward = [](const Arrays& a) {
    Vec y(a[0].size());
    softmax_forward(a[0].data(), y.data(), 3, 7);
    return y;
  };
  c.backward = [](const Arrays& a, const Vec& dy) {
    Vec y(a[0].size());
    softmax_forward(a[0].data(), y.data(), 3, 7);
    Arrays g{zeros(a[0].size())};
    softmax_backward(y.data(), dy.data(), g[0].data(), 3, 7);
    return g;
  };
  report("softmax", gradcheck(c, rng));
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

TEST_CASE("softmax cross-entropy, plain and class-weighted") {
  Rng rng(5);
  const int64_t N = 4, C = 5;
  const std::vector<int32_t> targets = {0, 3, 3, 1};
  for (bool weighted : {false, true}) {
    const Vec weights = {0.5, 2.0, 1.0, 3.0, 1.5};
    GradCase c;
    c.name = weighted ? "cross_entropy weighted" : "cross_entropy";
    c.input_names = {"logits"};
    c.inputs = {ser::test::random_vector(sz(N * C), rng, -2, 2)};
    const double* w = weighted ? weights.data() : nullptr;
    c.forward = [=](const Arrays& a) {
      Vec p(a[0].size());
      return Vec{cross_entropy_forward(a[0].data(), targets.data(), w, p.data(), N, C)};
    };
    c.backward = [=](const Arrays& a, const Vec& dy) {
      Vec p(a[0].size());
      cross_entropy_forward(a[0].data(), targets.data(), w, p.data(), N, C);
      Arrays g{zeros(a[0].size())};
      cross_entropy_backward(p.data(), targets.data(), w, dy[0], g[0].data(), N, C);
      return g;
    };
    report(c.name, gradcheck(c, rng));
  }
}

TEST_CASE("cross-entropy stays finite for extreme logits") {
  const double logits[2] = {1000.0, -1000.0};
  const int32_t t = 1;
  double p[2];
  const double loss = cross_entropy_forward(logits, &t, static_cast<const double*>(nullptr), p, 1, 2);
  CHECK(loss == doctest::Approx(2000.0));
}

TEST_CASE("batch norm: training (through the batch statistics) and frozen") {
  Rng rng(6);
  for (auto s : {BatchNormShape{5, 3, 1}, BatchNormShape{3, 2, 6}}) {
    for (bool train : {true, false}) {
      GradCase c;
      c.name = std::string("batchnorm ") + (train ? "train" : "frozen") + " S=" + std::to_string(s.spatial);
      c.input_names = {"x", "gamma", "beta"};
      const size_t n = sz(s.batch * s.channels * s.spatial), C = sz(s.channels);
      c.inputs = {ser::test::random_vector(n, rng, -2, 2), ser::test::random_vector(C, rng, 0.5, 1.5),
                  ser::test::random_vector(C, rng)};
      const Vec mean = ser::test::random_vector(C, rng), invstd = ser::test::random_vector(C, rng, 0.5, 2);
      auto fwd = [=](const Arrays& a, Vec& m, Vec& is) {
        Vec y(n), var(C);
        if (train)
          batchnorm_train_forward(a[0].data(), a[1].data(), a[2].data(), y.data(), m.data(), var.data(), is.data(),
                                  1e-5, s);
        else
          batchnorm_frozen_forward(a[0].data(), a[1].data(), a[2].data(), m.data(), is.data(), y.data(), s);
        return y;
      };
      c.forward = [=](const Arrays& a) {
        Vec m = mean, is = invstd;
        return fwd(a, m, is);
      };
      c.backward = [=](const Arrays& a, const Vec& dy) {
        Vec m = mean, is = invstd;
        fwd(a, m, is);
        Arrays g{zeros(n), zeros(C), zeros(C)};
        if (train)
          batchnorm_train_backward(a[0].data(), a[1].data(), m.data(), is.data(), dy.data(), g[0].data(), g[1].data(),
                                   g[2].data(), s);
        else
          batchnorm_frozen_backward(a[0].data(), a[1].data(), m.data(), is.data(), dy.data(), g[0].data(), g[1].data(),
                                    g[2].data(), s);
        return g;
      };
      report(c.name, gradcheck(c, rng));
    }
  }
}

TEST_CASE("lstm: back-propagation through time") {
  Rng rng(7);
  const LstmShape s{2, 5, 3, 4};
  const size_t G = sz(4 * s.hidden), seq = sz(s.batch * s.steps);
  GradCase c;
  c.name = "lstm";
  c.input_names = {"x", "w_ih", "w_hh", "b"};
  c.inputs = {ser::test::random_vector(seq * sz(s.input), rng), ser::test::random_vector(G * sz(s.input), rng),
              ser::test::random_vector(G * sz(s.hidden), rng), ser::test::random_vector(G, rng)};
  auto run = [=](const Arrays& a, Vec& h, Vec& cell, Vec& gates) {
    h.assign(seq * sz(s.hidden), 0);
    cell.assign(seq * sz(s.hidden), 0);
    gates.assign(seq * G, 0);
    lstm_forward_naive(a[0].data(), a[1].data(), a[2].data(), a[3].data(), h.data(), cell.data(), gates.data(), s);
  };
  c.forward = [=](const Arrays& a) {
    Vec h, cell, gates;
    run(a, h, cell, gates);
    return h;
  };
  c.backward = [=](const Arrays& a, const Vec& dy) {
    Vec h, cell, gates;
    run(a, h, cell, gates);
    Arrays g{zeros(a[0].size()), zeros(a[1].size()), zeros(a[2].size()), zeros(a[3].size())};
    lstm_backward_naive(a[0].data(), a[1].data(), a[2].data(), h.data(), cell.data(), gates.data(), dy.data(), g[0].data(),
                  g[1].data(), g[2].data(), g[3].data(), s);
    return g;
  };
  report("lstm", gradcheck(c, rng));
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
