// What the kernel table (tests/support/kernel_cases.hpp, run by
// test_kernels.cpp, which holds every fast kernel to its naive twin) cannot
// say about the fast kernels: the same bits on any thread count, the fused
// convolution + ReLU + pool paths, max pools bit for bit (ties included)
// against the naive kernel in float, the vectorised exp/tanh/sum and the
// dropout mask.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "common/rng.hpp"
#include "nn/kernels/activation.hpp"
#include "nn/kernels/conv.hpp"
#include "nn/kernels/dense.hpp"
#include "nn/kernels/gemm.hpp"
#include "nn/kernels/lstm.hpp"
#include "nn/kernels/pool.hpp"
#include "nn/kernels/vector_math.hpp"
#include "support/kernel_cases.hpp"

using namespace ser::nn;

namespace {
std::vector<float> random(size_t n, ser::Rng& rng) {
  std::vector<float> v(n);
  for (auto& x : v) x = static_cast<float>(rng.uniform() * 2.0 - 1.0);
  return v;
}
std::vector<double> widen(const std::vector<float>& v) { return {v.begin(), v.end()}; }

// max |fast - reference| / max(1, max |reference|)
double difference(const std::vector<float>& fast, const std::vector<double>& ref) {
  REQUIRE(fast.size() == ref.size());
  double worst = 0, scale = 1;
  for (double r : ref) scale = std::max(scale, std::abs(r));
  for (size_t i = 0; i < fast.size(); ++i) {
    if (!std::isfinite(fast[i])) return std::numeric_limits<double>::infinity();  // NaN would pass std::max
    worst = std::max(worst, std::abs(fast[i] - ref[i]));
  }
  return worst / scale;
}

}  // namespace

TEST_CASE("conv2d: the same bits with one thread and two, and from run to run while threads steal samples") {
  ser::Rng rng(7);
  // The TESS CNN's conv 1 (direct) and conv 3 (implicit im2col), a 2-D layer (im2col + sgemm).
  for (const Conv2dShape& s : {ser::test::conv1d_shape(32, 1, 500, 8, 13, 1, 1, Padding::explicit_pad, 0),
                               ser::test::conv1d_shape(32, 16, 90, 32, 9, 1, 1, Padding::explicit_pad, 0),
                               ser::test::conv_shape(9, 3, 12, 13, 8, 3, 3, 1, 1, Padding::explicit_pad, 1)}) {
    const size_t nx = static_cast<size_t>(s.batch * s.in_channels * s.in_h * s.in_w);
    const size_t nw = static_cast<size_t>(s.out_channels * s.in_channels * s.kernel_h * s.kernel_w);
    const size_t ny = static_cast<size_t>(s.batch * s.out_channels * s.out_h * s.out_w);
    const auto x = random(nx, rng), w = random(nw, rng), b = random(static_cast<size_t>(s.out_channels), rng),
               dy = random(ny, rng);
    auto run = [&](int threads) {
      std::vector<float> y(ny), dx(nx, 0.0f), dw(nw, 0.0f), db(static_cast<size_t>(s.out_channels), 0.0f);
      conv2d_forward(x.data(), w.data(), b.data(), y.data(), s, true, threads);
      conv2d_backward(x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data(), s, y.data(), {}, threads);
      y.insert(y.end(), dx.begin(), dx.end());
      y.insert(y.end(), dw.begin(), dw.end());
      y.insert(y.end(), db.begin(), db.end());
      return y;
    };
    const auto one = run(1);
    for (int rep = 0; rep < 5; ++rep) CHECK(run(2) == one);
  }
}

// The pool over a convolution's output of `s`, `planes` planes.
Pool2dShape pool_over(const Conv2dShape& s, int64_t planes, int64_t ph, int64_t pw, int64_t sh, int64_t sw, int64_t pt,
                      int64_t pl) {
  Pool2dShape p{.planes = planes,
                .in_h = s.out_h,
                .in_w = s.out_w,
                .pool_h = ph,
                .pool_w = pw,
                .stride_h = sh,
                .stride_w = sw,
                .pad_top = pt,
                .pad_left = pl};
  p.out_h = (s.out_h + 2 * pt - ph) / sh + 1;
  p.out_w = (s.out_w + 2 * pl - pw) / sw + 1;
  return p;
}

TEST_CASE("conv + relu + max pool, fused band by band: the naive values, the unfused bits, any thread count") {
  ser::Rng rng(11);
  struct Case {
    Conv2dShape s;
    int64_t ph, pw, sh, sw, pt, pl;
  };
  // Many bands: 2-D rows (same padding, pool 2 stride 3 as the RAVDESS CNN;
  // overlapping padded windows), 1-D columns (the TESS CNN's pool 3), a depth
  // over one GEMM block (K > 256: the bias filled first), and samples large
  // enough (> 8 MFLOP) for their bands to be shared by the threads.
  const std::vector<Case> cases = {
      {ser::test::conv_shape(2, 3, 61, 47, 8, 5, 5, 1, 1, Padding::explicit_pad, 2), 2, 2, 3, 3, 0, 0},
      {ser::test::conv_shape(2, 2, 40, 33, 5, 3, 3, 1, 1, Padding::explicit_pad, 0), 3, 3, 2, 2, 1, 1},
      {ser::test::conv1d_shape(2, 8, 900, 16, 11, 1, 1, Padding::explicit_pad, 0), 1, 3, 1, 3, 0, 0},
      {ser::test::conv_shape(1, 40, 30, 29, 12, 3, 3, 1, 1, Padding::explicit_pad, 1), 2, 2, 2, 2, 0, 0},
      {ser::test::conv_shape(1, 16, 70, 90, 32, 3, 3, 1, 1, Padding::explicit_pad, 1), 2, 2, 3, 3, 0, 0},
      // Five pooled rows (the RAVDESS CNN's third layer): too few bands for
      // two threads, so each band is also cut into runs of output channels.
      {ser::test::conv_shape(1, 64, 14, 18, 40, 5, 5, 1, 1, Padding::explicit_pad, 2), 2, 2, 3, 3, 0, 0},
      // Wide 3x3 layers take Winograd's path fused and unfused alike (the
      // batch-norm FER CNN's shape, two samples, an odd size).
      {ser::test::conv_shape(2, 128, 11, 12, 136, 3, 3, 1, 1, Padding::explicit_pad, 1), 2, 2, 2, 2, 0, 0},
      // The FER CNN's widths: Winograd forward, each 2x2 tile pooled as it is
      // transformed (an odd size: the last tiles have no window), and a pool
      // that is not one window per tile (after the whole convolution).
      {ser::test::conv_shape(3, 32, 11, 9, 40, 3, 3, 1, 1, Padding::explicit_pad, 1), 2, 2, 2, 2, 0, 0},
      {ser::test::conv_shape(2, 32, 12, 10, 48, 3, 3, 1, 1, Padding::explicit_pad, 1), 3, 3, 2, 2, 1, 1},
      // Rows of 18 tiles: eight windows stored at once, then the row's end.
      {ser::test::conv_shape(2, 32, 8, 36, 40, 3, 3, 1, 1, Padding::explicit_pad, 1), 2, 2, 2, 2, 0, 0}};
  for (const Case& c : cases) {
    const Conv2dShape& s = c.s;
    CAPTURE(s.in_channels);
    CAPTURE(s.out_h);
    // The fused kernel takes one sample's pool; the reference pools the batch.
    const Pool2dShape p = pool_over(s, s.out_channels, c.ph, c.pw, c.sh, c.sw, c.pt, c.pl);
    const Pool2dShape p_all = pool_over(s, s.batch * s.out_channels, c.ph, c.pw, c.sh, c.sw, c.pt, c.pl);
    const auto x = random(static_cast<size_t>(s.batch * s.in_channels * s.in_h * s.in_w), rng);
    const auto w = random(static_cast<size_t>(s.out_channels * s.in_channels * s.kernel_h * s.kernel_w), rng);
    const auto b = random(static_cast<size_t>(s.out_channels), rng);
    const size_t ny = static_cast<size_t>(s.batch * s.out_channels * s.out_h * s.out_w);
    const size_t np = static_cast<size_t>(p_all.planes * p.out_h * p.out_w);
    auto fused = [&](int threads) {
      std::vector<float> pooled(np);
      std::vector<int32_t> argmax(np);
      conv2d_relu_maxpool_forward(x.data(), w.data(), b.data(), pooled.data(), argmax.data(), s, p, threads);
      return std::pair{pooled, argmax};
    };
    const auto [pooled, argmax] = fused(1);
    // Unfused: the convolution with its relu, then the pool.
    std::vector<float> y(ny), pooled_ref(np);
    std::vector<int32_t> argmax_ref(np);
    conv2d_forward(x.data(), w.data(), b.data(), y.data(), s, true, 2);
    maxpool2d_forward(y.data(), pooled_ref.data(), argmax_ref.data(), p_all, 2);
    CHECK(pooled == pooled_ref);
    CHECK(argmax == argmax_ref);
    // The naive convolution in double, relu, naive pool.
    const auto xd = widen(x), wd = widen(w), bd = widen(b);
    std::vector<double> yr(ny), pr(np);
    std::vector<int32_t> ar(np);
    conv2d_forward_naive(xd.data(), wd.data(), bd.data(), yr.data(), s);
    for (auto& v : yr) v = std::max(v, 0.0);
    maxpool2d_forward_naive(yr.data(), pr.data(), ar.data(), p_all);
    CHECK(difference(pooled, pr) < ser::test::conv_tolerance(s));
    for (int rep = 0; rep < 3; ++rep) CHECK(fused(2) == std::pair{pooled, argmax});
  }
}

TEST_CASE("conv + relu + max pool backward: the unfused layers' bits, on the implicit and the Winograd path") {
  ser::Rng rng(12);
  struct Case {
    Conv2dShape s;
    int64_t pool, stride;
  };
  const std::vector<Case> cases = {
      {ser::test::conv_shape(2, 16, 20, 18, 24, 3, 3, 1, 1, Padding::explicit_pad, 1), 2, 2},   // implicit
      {ser::test::conv_shape(2, 128, 11, 12, 136, 3, 3, 1, 1, Padding::explicit_pad, 1), 2, 2},  // Winograd
      {ser::test::conv_shape(3, 32, 11, 9, 40, 3, 3, 1, 1, Padding::explicit_pad, 1), 2, 2}  // Winograd forward only
  };
  for (const Case& c : cases) {
    const Conv2dShape& s = c.s;
    CAPTURE(s.in_channels);
    const Pool2dShape p = pool_over(s, s.out_channels, c.pool, c.pool, c.stride, c.stride, 0, 0);
    const Pool2dShape p_all = pool_over(s, s.batch * s.out_channels, c.pool, c.pool, c.stride, c.stride, 0, 0);
    const size_t nx = static_cast<size_t>(s.batch * s.in_channels * s.in_h * s.in_w);
    const size_t nw = static_cast<size_t>(s.out_channels * s.in_channels * 9), nb = static_cast<size_t>(s.out_channels);
    const size_t ny = static_cast<size_t>(s.batch * s.out_channels * s.out_h * s.out_w);
    const size_t np = static_cast<size_t>(p_all.planes * p.out_h * p.out_w);
    const auto x = random(nx, rng), w = random(nw, rng), b = random(nb, rng), dp = random(np, rng);
    std::vector<float> pooled(np);
    std::vector<int32_t> argmax(np);
    conv2d_relu_maxpool_forward(x.data(), w.data(), b.data(), pooled.data(), argmax.data(), s, p, 2);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> dx(nx, nan), dw(nw, nan), db(nb, nan);  // fresh: written, not added to
    conv2d_relu_maxpool_backward(x.data(), w.data(), pooled.data(), argmax.data(), dp.data(), dx.data(), dw.data(),
                                 db.data(), s, p, {.dx = true, .params = true}, 2);
    // Unfused: conv + relu, the pool's backward, then the conv's with relu's mask.
    std::vector<float> y(ny), dy(ny), dx_ref(nx, nan), dw_ref(nw, nan), db_ref(nb, nan);
    conv2d_forward(x.data(), w.data(), b.data(), y.data(), s, true, 1);
    maxpool2d_backward(argmax.data(), dp.data(), dy.data(), p_all, true, 1);
    conv2d_backward(x.data(), w.data(), dy.data(), dx_ref.data(), dw_ref.data(), db_ref.data(), s, y.data(),
                    {.dx = true, .params = true}, 1);
    CHECK(dx == dx_ref);
    CHECK(dw == dw_ref);
    CHECK(db == db_ref);
  }
}

TEST_CASE("Winograd forward: a sample's bits alone are its bits in a batch; weights changed in place are used") {
  ser::Rng rng(13);
  // 3x3 from 32 channels: forward on Winograd's path, whose packed filters
  // are kept while the weights stay the same.
  const Conv2dShape s = ser::test::conv_shape(3, 32, 10, 13, 48, 3, 3, 1, 1, Padding::same);
  const int64_t in_size = s.in_channels * s.in_h * s.in_w, out_size = s.out_channels * s.out_h * s.out_w;
  const auto x = random(static_cast<size_t>(s.batch * in_size), rng), b = random(48, rng);
  auto w = random(static_cast<size_t>(48 * 32 * 9), rng);
  auto forward = [&](const float* xs, const std::vector<float>& ws, Conv2dShape shape) {
    std::vector<float> y(static_cast<size_t>(shape.batch * out_size));
    conv2d_forward(xs, ws.data(), b.data(), y.data(), shape, true, 2);
    return y;
  };
  const auto batch = forward(x.data(), w, s);
  Conv2dShape one = s;
  one.batch = 1;
  for (int64_t n = 0; n < s.batch; ++n) {
    const auto alone = forward(x.data() + n * in_size, w, one);
    CHECK(std::equal(alone.begin(), alone.end(), batch.begin() + n * out_size));
  }
  // New values in the same buffer (as an optimiser step writes them): the
  // result of a fresh copy of them, and not the old result.
  for (size_t i = 0; i < w.size(); i += 7) w[i] = -w[i];
  const auto changed = forward(x.data(), w, s);
  const std::vector<float> fresh_copy = w;
  CHECK(changed == forward(x.data(), fresh_copy, s));
  CHECK(changed != batch);
}

TEST_CASE("vectorisable exp, sigmoid and tanh against libm in double") {
  double exp_rel = 0, sig_abs = 0, tanh_abs = 0, tanh_rel_small = 0;
  for (int i = -200000; i <= 200000; ++i) {
    const float x = static_cast<float>(i) * 4e-4f;  // [-80, 80]
    const double e = std::exp(static_cast<double>(x));
    exp_rel = std::max(exp_rel, std::abs(exp_approx(x) - e) / e);
    sig_abs = std::max(sig_abs, std::abs(sigmoid_approx(x) - 1.0 / (1.0 + std::exp(-static_cast<double>(x)))));
    const double t = std::tanh(static_cast<double>(x));
    tanh_abs = std::max(tanh_abs, std::abs(tanh_approx(x) - t));
    if (std::abs(x) < 0.625f && x != 0.0f)
      tanh_rel_small = std::max(tanh_rel_small, std::abs(tanh_approx(x) - t) / std::abs(t));
  }
  MESSAGE("exp relative " << exp_rel << ", sigmoid absolute " << sig_abs << ", tanh absolute " << tanh_abs
                          << ", tanh relative below 0.625 " << tanh_rel_small);
  CHECK(exp_rel < 3e-7);  // a couple of float ulps
  CHECK(sig_abs < 2e-7);
  CHECK(tanh_abs < 2e-7);
  CHECK(tanh_rel_small < 3e-7);  // no cancellation near zero
  CHECK(exp_approx(-1000.0f) >= 0.0f);
  CHECK(std::isfinite(exp_approx(1000.0f)));
  CHECK(tanh_approx(1000.0f) == 1.0f);
  CHECK(tanh_approx(-1000.0f) == -1.0f);
}

TEST_CASE("max pooling: the fast kernel (1-D interior path and the general one) equals the naive one") {
  ser::Rng rng(6);
  const std::vector<Pool2dShape> shapes = ser::test::maxpool_table();
  for (const auto& s : shapes) {
    const size_t nin = static_cast<size_t>(s.planes * s.in_h * s.in_w),
                 nout = static_cast<size_t>(s.planes * s.out_h * s.out_w);
    auto x = random(nin, rng);
    for (size_t i = 0; i < nin; i += 7) x[i] = x[i + (i + 1 < nin ? 1 : 0)];  // ties: the first must win
    const auto dy = random(nout, rng);
    std::vector<float> y(nout), yr(nout), dx(nin, 0.0f), dxr(nin, 0.0f);
    std::vector<int32_t> arg(nout), argr(nout);
    maxpool2d_forward(x.data(), y.data(), arg.data(), s, 2);
    maxpool2d_forward_naive(x.data(), yr.data(), argr.data(), s);
    CHECK(y == yr);
    CHECK(arg == argr);
    maxpool2d_backward(arg.data(), dy.data(), dx.data(), s, false, 2);
    maxpool2d_backward_naive(argr.data(), dy.data(), dxr.data(), s);
    CHECK(dx == dxr);
    // Into a fresh (here NaN-filled) gradient: written, not added to.
    std::vector<float> fresh(nin, std::numeric_limits<float>::quiet_NaN());
    maxpool2d_backward(arg.data(), dy.data(), fresh.data(), s, /*overwrite=*/true, 2);
    CHECK(fresh == dxr);
  }
}

TEST_CASE("max pooling: the tiled 1-D backward writes the naive scatter's bits, with and without a fused relu mask") {
  ser::Rng rng(11);
  struct Row {
    int64_t windows, pool;
  };
  // The TESS CNN's four pools (796, 262, 84, 26 windows of 3), tails that
  // are not a multiple of 16 windows, every vectorised pool size and one
  // that is not.
  for (const Row r :
       {Row{796, 3}, Row{262, 3}, Row{84, 3}, Row{26, 3}, Row{50, 2}, Row{17, 4}, Row{15, 2}, Row{9, 5}}) {
    CAPTURE(r.windows);
    CAPTURE(r.pool);
    Pool2dShape s;
    s.in_w = r.windows * r.pool + 1;  // one input position past the last window
    s.pool_w = s.stride_w = r.pool;
    s.out_w = r.windows;
    const size_t covered = static_cast<size_t>(r.windows * r.pool);
    auto x = random(static_cast<size_t>(s.in_w), rng);
    for (size_t i = 0; i + 1 < x.size(); i += 5) x[i + 1] = x[i];  // ties: the first wins
    for (auto& v : x) v = std::max(v, 0.0f);  // a relu's output: windows of zeros pool to 0, which masks
    auto dy = random(static_cast<size_t>(r.windows), rng);
    for (size_t o = 0; o < dy.size(); o += 4) dy[o] = -0.0f;  // the scatter into zeros turns these into +0
    std::vector<float> y(static_cast<size_t>(r.windows));
    std::vector<int32_t> arg(y.size());
    maxpool2d_forward_naive(x.data(), y.data(), arg.data(), s);
    for (const bool relu : {false, true}) {
      CAPTURE(relu);
      // Reference: the naive scatter into zeros, then relu's mask (the relu
      // output at a winner is the pooled value).
      std::vector<float> masked_dy = dy;
      if (relu)
        for (size_t o = 0; o < y.size(); ++o) masked_dy[o] = y[o] > 0.0f ? dy[o] : 0.0f;
      std::vector<float> ref(static_cast<size_t>(s.in_w), 0.0f);
      maxpool2d_backward_naive(arg.data(), masked_dy.data(), ref.data(), s);
      std::vector<float> dx(covered + 1, std::numeric_limits<float>::quiet_NaN());
      maxpool1d_tiles_backward(arg.data(), dy.data(), relu ? y.data() : nullptr, r.windows, r.pool, dx.data());
      CHECK(std::memcmp(dx.data(), ref.data(), covered * sizeof(float)) == 0);  // bits: +0, not -0
      CHECK(std::isnan(dx[covered]));                                           // nothing written past the windows
    }
  }
}

TEST_CASE("sum_fixed_order: the vectorised sum against a double sum, every tail length") {
  ser::Rng rng(9);
  for (int64_t n : {0, 1, 5, 63, 64, 65, 127, 1000, 2388, 4097}) {
    const auto x = random(static_cast<size_t>(n), rng);
    double ref = 0, magnitude = 0;
    for (float v : x) {
      ref += v;
      magnitude += std::abs(v);
    }
    CAPTURE(n);
    // Float rounding of n additions: within n * 2^-24 of the sum of magnitudes.
    CHECK(std::abs(sum_fixed_order(x.data(), n) - ref) <= 6e-8 * static_cast<double>(n) * std::max(1.0, magnitude));
  }
  CHECK(sum_fixed_order(std::vector<float>(100, 1.0f).data(), 100) == 100.0f);
}

TEST_CASE("dropout mask: inverted scales at the asked rate, the same values however the work is split") {
  const int64_t n = 300001;  // above the size the mask splits over threads at, and odd
  std::vector<float> one(static_cast<size_t>(n)), two(one.size()), prefix(1000), other(one.size());
  for (float rate : {0.1f, 0.3f, 0.5f}) {
    dropout_mask(42, rate, one.data(), n, 1);
    dropout_mask(42, rate, two.data(), n, 2);
    dropout_mask(42, rate, prefix.data(), static_cast<int64_t>(prefix.size()), 2);
    dropout_mask(43, rate, other.data(), n, 2);
    CHECK(one == two);
    CHECK(std::equal(prefix.begin(), prefix.end(), one.begin()));  // element i depends on (key, i) only
    int64_t dropped = 0, differs = 0, neither = 0;
    for (int64_t i = 0; i < n; ++i) {
      const float v = one[static_cast<size_t>(i)];
      neither += v != 0.0f && v != 1.0f / (1.0f - rate);
      dropped += v == 0.0f;
      differs += v != other[static_cast<size_t>(i)];
    }
    CHECK(neither == 0);
    const double expect = rate * static_cast<double>(n), sigma = std::sqrt(expect * (1.0 - rate));
    CHECK(std::abs(static_cast<double>(dropped) - expect) < 5 * sigma);
    // Another key: an independent mask, differing where exactly one of the two drops.
    const double expect_differs = 2.0 * rate * (1.0 - rate) * static_cast<double>(n);
    CHECK(std::abs(static_cast<double>(differs) - expect_differs) < 5 * std::sqrt(expect_differs));
  }
}
