#pragma once
// One table of cases per kernel, as ggml's test-backend-ops: each entry is
// one shape of one kernel, and the same entry drives
//   - the finite-difference check of the naive kernel's backward, in double
//     (tests/test_kernels.cpp),
//   - the fast float kernel against the naive one run in double, forward and
//     backward (same file),
//   - a benchmark of the fast kernel with its FLOP count (bench/bench_nn.cpp,
//     kernel/<name>).
// Adding a shape is one line in a table below; adding a kernel is one
// make_*_case function and one table.

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "common/rng.hpp"
#include "nn/kernels/activation.hpp"
#include "nn/kernels/batchnorm.hpp"
#include "nn/kernels/conv.hpp"
#include "nn/kernels/cross_entropy.hpp"
#include "nn/kernels/dense.hpp"
#include "nn/kernels/geometry.hpp"
#include "nn/kernels/gru.hpp"
#include "nn/kernels/lstm.hpp"
#include "nn/kernels/sequence_pool.hpp"
#include "nn/kernels/pool.hpp"
#include "nn/kernels/winograd.hpp"
#include "nn/kernels/winograd1d.hpp"

namespace ser::test {

using nn::Conv2dShape;
using nn::Pool2dShape;
using Vec = std::vector<double>;
using FVec = std::vector<float>;
using DArrays = std::vector<Vec>;
using FArrays = std::vector<FVec>;

// How an input is drawn: uniform in [-1, 1], uniform in [lo, hi], values at
// least 0.05 from zero (ReLU's kink), or distinct values 0.01 apart (no
// max-pool ties within a finite-difference step).
enum class Fill { uniform, away_from_zero, distinct };
struct Input {
  size_t size;
  Fill fill = Fill::uniform;
  double lo = -1, hi = 1;
  bool differentiable = true;
};

struct KernelCase {
  std::string name;
  double flops = 0;           // forward, 2 per multiply-add (1 per compare or element)
  double backward_flops = 0;  // backward
  std::vector<Input> inputs;
  // The naive kernel in double: outputs, and every input's gradient of
  // sum(outputs * dy) (zeros for inputs that are not differentiable).
  std::function<Vec(const DArrays&)> naive_forward;
  std::function<DArrays(const DArrays&, const Vec& dy)> naive_backward;
  // The fast kernel in float on up to `threads` threads (null: the kernel
  // has no fast twin). Gradients are accumulated onto what the caller
  // passes, as the kernels do.
  std::function<FVec(const FArrays&, int threads)> fast_forward;
  using FastBackward = std::function<void(const FArrays&, const FVec& y, const FVec& dy, FArrays& grads, int threads)>;
  FastBackward fast_backward;
  // The same into fresh gradients the kernel must write, not add to (null:
  // the kernel always adds).
  FastBackward fast_backward_fresh;
  double tolerance = 2e-6;  // fast against naive, relative to the largest value
};

inline size_t sz(int64_t n) { return static_cast<size_t>(n); }
inline Vec widen(const FVec& v) { return {v.begin(), v.end()}; }
inline FVec narrow(const Vec& v) {
  FVec out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = static_cast<float>(v[i]);
  return out;
}

// ---- convolution (1-D is 2-D with height 1), optionally with the ReLU fused

inline Conv2dShape conv_shape(int64_t n, int64_t c, int64_t h, int64_t w, int64_t oc, int64_t kh, int64_t kw,
                              int64_t stride, int64_t dilation, nn::Padding padding, int64_t pad = 0) {
  Conv2dShape s{n, c, h, w, oc, kh, kw, stride, stride, dilation, dilation, 0, 0, 0, 0};
  const nn::Extent eh = nn::window_extent(h, kh, stride, dilation, padding, pad);
  const nn::Extent ew = nn::window_extent(w, kw, stride, dilation, padding, pad);
  s.pad_top = eh.pad_before;
  s.pad_left = ew.pad_before;
  s.out_h = eh.out;
  s.out_w = ew.out;
  return s;
}

// 1-D: height 1, the window and padding along the width only.
inline Conv2dShape conv1d_shape(int64_t n, int64_t c, int64_t len, int64_t oc, int64_t k, int64_t stride,
                                int64_t dilation, nn::Padding padding, int64_t pad = 0) {
  Conv2dShape s{n, c, 1, len, oc, 1, k, 1, stride, 1, dilation, 0, 0, 1, 0};
  const nn::Extent e = nn::window_extent(len, k, stride, dilation, padding, pad);
  s.pad_left = e.pad_before;
  s.out_w = e.out;
  return s;
}

// Fast against naive, relative to the largest value. F(2x2, 5x5)'s
// transforms (B^T's 4s and 5s, G's sixths and 24ths) round about eight
// times more than F(2x2, 3x3)'s: 3-6e-6 of the largest value at the
// table's sizes, against 5e-7 (its input transform is F(4x4, 3x3)'s, whose
// larger error Lavin and Gray note); with the weights' gradient on the same
// path, up to 8e-6. The 1-D F(4, 5) on eight points: up to 2.2e-6 at the
// table's sizes. A wrong coefficient or tile errs by the
// values themselves.
inline double conv_tolerance(const Conv2dShape& s) {
  if (nn::winograd1d_applies(s)) return 5e-6;
  return s.kernel_h == 5 && nn::winograd_forward_applies(s) ? 1e-5 : 2e-6;
}

inline KernelCase make_conv_case(const std::string& name, const Conv2dShape& s, bool relu = false) {
  KernelCase k;
  k.name = (relu ? "conv+relu " : "conv ") + name;
  const size_t nx = sz(s.batch * s.in_channels * s.in_h * s.in_w),
               nw = sz(s.out_channels * s.in_channels * s.kernel_h * s.kernel_w), nb = sz(s.out_channels),
               ny = sz(s.batch * s.out_channels * s.out_h * s.out_w);
  k.flops = 2.0 * static_cast<double>(ny) * static_cast<double>(s.in_channels * s.kernel_h * s.kernel_w);
  k.backward_flops = 2 * k.flops;
  k.inputs = {{nx}, {nw}, {nb}};
  k.naive_forward = [s, ny, relu](const DArrays& in) {
    Vec y(ny);
    nn::conv2d_forward_naive(in[0].data(), in[1].data(), in[2].data(), y.data(), s);
    if (relu)
      for (auto& v : y) v = v > 0 ? v : 0;
    return y;
  };
  k.naive_backward = [s, ny, relu](const DArrays& in, const Vec& dy) {
    Vec masked = dy;
    if (relu) {
      Vec y(ny);
      nn::conv2d_forward_naive(in[0].data(), in[1].data(), in[2].data(), y.data(), s);
      for (size_t i = 0; i < ny; ++i)
        if (y[i] <= 0) masked[i] = 0;
    }
    DArrays g{Vec(in[0].size()), Vec(in[1].size()), Vec(in[2].size())};
    nn::conv2d_backward_naive(in[0].data(), in[1].data(), masked.data(), g[0].data(), g[1].data(), g[2].data(), s);
    return g;
  };
  k.fast_forward = [s, ny, relu](const FArrays& in, int threads) {
    FVec y(ny);
    nn::conv2d_forward(in[0].data(), in[1].data(), in[2].data(), y.data(), s, relu, threads);
    return y;
  };
  k.fast_backward = [s, relu](const FArrays& in, const FVec& y, const FVec& dy, FArrays& g, int threads) {
    nn::conv2d_backward(in[0].data(), in[1].data(), dy.data(), g[0].data(), g[1].data(), g[2].data(), s,
                        relu ? y.data() : nullptr, {}, threads);
  };
  k.fast_backward_fresh = [s, relu](const FArrays& in, const FVec& y, const FVec& dy, FArrays& g, int threads) {
    nn::conv2d_backward(in[0].data(), in[1].data(), dy.data(), g[0].data(), g[1].data(), g[2].data(), s,
                        relu ? y.data() : nullptr, {.dx = true, .params = true}, threads);
  };
  k.tolerance = conv_tolerance(s);
  return k;
}

// ---- dense

inline KernelCase make_dense_case(int64_t N, int64_t in, int64_t out) {
  KernelCase k;
  k.name = "dense " + std::to_string(N) + "x" + std::to_string(in) + "->" + std::to_string(out);
  k.flops = 2.0 * static_cast<double>(N * in * out);
  k.backward_flops = 2 * k.flops;
  k.inputs = {{sz(N * in)}, {sz(out * in)}, {sz(out)}};
  k.naive_forward = [=](const DArrays& a) {
    Vec y(sz(N * out));
    nn::dense_forward_naive(a[0].data(), a[1].data(), a[2].data(), y.data(), N, in, out);
    return y;
  };
  k.naive_backward = [=](const DArrays& a, const Vec& dy) {
    DArrays g{Vec(a[0].size()), Vec(a[1].size()), Vec(a[2].size())};
    nn::dense_backward_naive(a[0].data(), a[1].data(), dy.data(), g[0].data(), g[1].data(), g[2].data(), N, in, out);
    return g;
  };
  k.fast_forward = [=](const FArrays& a, int threads) {
    FVec y(sz(N * out));
    nn::dense_forward(a[0].data(), a[1].data(), a[2].data(), y.data(), N, in, out, threads);
    return y;
  };
  k.fast_backward = [=](const FArrays& a, const FVec&, const FVec& dy, FArrays& g, int threads) {
    nn::dense_backward(a[0].data(), a[1].data(), dy.data(), g[0].data(), g[1].data(), g[2].data(), N, in, out, {}, threads);
  };
  k.fast_backward_fresh = [=](const FArrays& a, const FVec&, const FVec& dy, FArrays& g, int threads) {
    nn::dense_backward(a[0].data(), a[1].data(), dy.data(), g[0].data(), g[1].data(), g[2].data(), N, in, out,
                       {.dx = true, .params = true}, threads);
  };
  return k;
}

// ---- pooling

inline Pool2dShape pool_shape(int64_t planes, int64_t h, int64_t w, int64_t ph, int64_t pw, int64_t sh, int64_t sw,
                              nn::Padding p) {
  Pool2dShape s{planes, h, w, ph, pw, sh, sw, 0, 0, 0, 0};
  const nn::Extent eh = nn::window_extent(h, ph, sh, 1, p), ew = nn::window_extent(w, pw, sw, 1, p);
  s.pad_top = eh.pad_before;
  s.pad_left = ew.pad_before;
  s.out_h = eh.out;
  s.out_w = ew.out;
  return s;
}

inline std::string pool_name(const Pool2dShape& s) {
  char b[128];
  std::snprintf(b, sizeof b, "%lldx%lldx%lld pool %lldx%lld stride %lldx%lld", static_cast<long long>(s.planes),
                static_cast<long long>(s.in_h), static_cast<long long>(s.in_w), static_cast<long long>(s.pool_h),
                static_cast<long long>(s.pool_w), static_cast<long long>(s.stride_h),
                static_cast<long long>(s.stride_w));
  return b;
}

inline KernelCase make_maxpool_case(const Pool2dShape& s) {
  KernelCase k;
  k.name = "maxpool " + pool_name(s);
  const size_t nx = sz(s.planes * s.in_h * s.in_w), ny = sz(s.planes * s.out_h * s.out_w);
  k.flops = static_cast<double>(ny * sz(s.pool_h * s.pool_w));
  k.backward_flops = static_cast<double>(ny);
  k.inputs = {{nx, Fill::distinct}};
  k.naive_forward = [s, ny](const DArrays& in) {
    Vec y(ny);
    std::vector<int32_t> arg(ny);
    nn::maxpool2d_forward_naive(in[0].data(), y.data(), arg.data(), s);
    return y;
  };
  k.naive_backward = [s, ny](const DArrays& in, const Vec& dy) {
    Vec y(ny);
    std::vector<int32_t> arg(ny);
    nn::maxpool2d_forward_naive(in[0].data(), y.data(), arg.data(), s);
    DArrays g{Vec(in[0].size())};
    nn::maxpool2d_backward_naive(arg.data(), dy.data(), g[0].data(), s);
    return g;
  };
  k.fast_forward = [s, ny](const FArrays& in, int threads) {
    FVec y(ny);
    std::vector<int32_t> arg(ny);
    nn::maxpool2d_forward(in[0].data(), y.data(), arg.data(), s, threads);
    return y;
  };
  k.fast_backward = [s, ny](const FArrays& in, const FVec&, const FVec& dy, FArrays& g, int threads) {
    FVec y(ny);
    std::vector<int32_t> arg(ny);
    nn::maxpool2d_forward(in[0].data(), y.data(), arg.data(), s, threads);
    nn::maxpool2d_backward(arg.data(), dy.data(), g[0].data(), s, false, threads);
  };
  k.fast_backward_fresh = [s, ny](const FArrays& in, const FVec&, const FVec& dy, FArrays& g, int threads) {
    FVec y(ny);
    std::vector<int32_t> arg(ny);
    nn::maxpool2d_forward(in[0].data(), y.data(), arg.data(), s, threads);
    nn::maxpool2d_backward(arg.data(), dy.data(), g[0].data(), s, /*overwrite=*/true, threads);
  };
  // A pool copies values (exact); overlapping windows add several dy in
  // float. The bits against the naive kernel in float: test_kernels_fast.
  k.tolerance = 5e-7;  // up to pool_h x pool_w float additions per input
  return k;
}

// Average pooling has no fast twin: the gradient check and the benchmark only.
inline KernelCase make_avgpool_case(const Pool2dShape& s) {
  KernelCase k;
  k.name = "avgpool " + pool_name(s);
  const size_t ny = sz(s.planes * s.out_h * s.out_w);
  k.flops = static_cast<double>(ny * sz(s.pool_h * s.pool_w));
  k.backward_flops = k.flops;
  k.inputs = {{sz(s.planes * s.in_h * s.in_w)}};
  k.naive_forward = [s, ny](const DArrays& in) {
    Vec y(ny);
    nn::avgpool2d_forward_naive(in[0].data(), y.data(), s);
    return y;
  };
  k.naive_backward = [s](const DArrays& in, const Vec& dy) {
    DArrays g{Vec(in[0].size())};
    nn::avgpool2d_backward_naive(dy.data(), g[0].data(), s);
    return g;
  };
  return k;
}

// ---- LSTM (the output is every step's h)

inline KernelCase make_lstm_case(const nn::LstmShape& s) {
  KernelCase k;
  k.name = "lstm N" + std::to_string(s.batch) + " T" + std::to_string(s.steps) + " I" + std::to_string(s.input) + " H" +
           std::to_string(s.hidden);
  const size_t G = sz(4 * s.hidden), seq = sz(s.batch * s.steps), nh = seq * sz(s.hidden);
  k.flops = 2.0 * static_cast<double>(seq * G) * static_cast<double>(s.input + s.hidden);
  k.backward_flops = 2 * k.flops;
  k.inputs = {{seq * sz(s.input)}, {G * sz(s.input)}, {G * sz(s.hidden)}, {G}};
  k.tolerance = 1e-5;  // a hundred dependent steps round more than one product
  auto naive_run = [=](const DArrays& a, Vec& h, Vec& c, Vec& gates) {
    h.assign(nh, 0);
    c.assign(nh, 0);
    gates.assign(seq * G, 0);
    nn::lstm_forward_naive(a[0].data(), a[1].data(), a[2].data(), a[3].data(), h.data(), c.data(), gates.data(), s);
  };
  k.naive_forward = [=](const DArrays& a) {
    Vec h, c, gates;
    naive_run(a, h, c, gates);
    return h;
  };
  k.naive_backward = [=](const DArrays& a, const Vec& dy) {
    Vec h, c, gates;
    naive_run(a, h, c, gates);
    DArrays g{Vec(a[0].size()), Vec(a[1].size()), Vec(a[2].size()), Vec(a[3].size())};
    nn::lstm_backward_naive(a[0].data(), a[1].data(), a[2].data(), h.data(), c.data(), gates.data(), dy.data(),
                            g[0].data(), g[1].data(), g[2].data(), g[3].data(), s);
    return g;
  };
  auto fast_run = [=](const FArrays& a, FVec& h, FVec& c, FVec& gates, int threads) {
    h.assign(nh, 0);
    c.assign(nh, 0);
    gates.assign(seq * G, 0);
    nn::lstm_forward(a[0].data(), a[1].data(), a[2].data(), a[3].data(), h.data(), c.data(), gates.data(), s, threads);
  };
  k.fast_forward = [=](const FArrays& a, int threads) {
    FVec h, c, gates;
    fast_run(a, h, c, gates, threads);
    return h;
  };
  k.fast_backward = [=](const FArrays& a, const FVec&, const FVec& dy, FArrays& g, int threads) {
    FVec h, c, gates;
    fast_run(a, h, c, gates, threads);
    nn::lstm_backward(a[0].data(), a[1].data(), a[2].data(), h.data(), c.data(), gates.data(), dy.data(), g[0].data(),
                      g[1].data(), g[2].data(), g[3].data(), s, threads);
  };
  return k;
}

// ---- GRU (the output is every step's h)

inline KernelCase make_gru_case(const nn::GruShape& s) {
  KernelCase k;
  k.name = "gru N" + std::to_string(s.batch) + " T" + std::to_string(s.steps) + " I" + std::to_string(s.input) + " H" +
           std::to_string(s.hidden);
  const size_t G = sz(3 * s.hidden), seq = sz(s.batch * s.steps), nh = seq * sz(s.hidden);
  k.flops = 2.0 * static_cast<double>(seq * G) * static_cast<double>(s.input + s.hidden);
  k.backward_flops = 2 * k.flops;
  k.inputs = {{seq * sz(s.input)}, {G * sz(s.input)}, {G * sz(s.hidden)}, {G}, {G}};
  k.tolerance = 1e-5;  // as the LSTM: many dependent steps
  auto naive_run = [=](const DArrays& a, Vec& h, Vec& gates, Vec& hn) {
    h.assign(nh, 0);
    gates.assign(seq * G, 0);
    hn.assign(nh, 0);
    nn::gru_forward_naive(a[0].data(), a[1].data(), a[2].data(), a[3].data(), a[4].data(), h.data(), gates.data(),
                          hn.data(), s);
  };
  k.naive_forward = [=](const DArrays& a) {
    Vec h, gates, hn;
    naive_run(a, h, gates, hn);
    return h;
  };
  k.naive_backward = [=](const DArrays& a, const Vec& dy) {
    Vec h, gates, hn;
    naive_run(a, h, gates, hn);
    DArrays g{Vec(a[0].size()), Vec(a[1].size()), Vec(a[2].size()), Vec(a[3].size()), Vec(a[4].size())};
    nn::gru_backward_naive(a[0].data(), a[1].data(), a[2].data(), h.data(), gates.data(), hn.data(), dy.data(),
                           g[0].data(), g[1].data(), g[2].data(), g[3].data(), g[4].data(), s);
    return g;
  };
  auto fast_run = [=](const FArrays& a, FVec& h, FVec& gates, FVec& hn, int threads) {
    h.assign(nh, 0);
    gates.assign(seq * G, 0);
    hn.assign(nh, 0);
    nn::gru_forward(a[0].data(), a[1].data(), a[2].data(), a[3].data(), a[4].data(), h.data(), gates.data(),
                    hn.data(), s, threads);
  };
  k.fast_forward = [=](const FArrays& a, int threads) {
    FVec h, gates, hn;
    fast_run(a, h, gates, hn, threads);
    return h;
  };
  k.fast_backward = [=](const FArrays& a, const FVec&, const FVec& dy, FArrays& g, int threads) {
    FVec h, gates, hn;
    fast_run(a, h, gates, hn, threads);
    nn::gru_backward(a[0].data(), a[1].data(), a[2].data(), h.data(), gates.data(), hn.data(), dy.data(), g[0].data(),
                     g[1].data(), g[2].data(), g[3].data(), g[4].data(), s, threads);
  };
  return k;
}

// ---- pooling a sequence over its steps: statistics and attention

inline std::string sequence_name(const char* what, const nn::SequencePoolShape& s) {
  return std::string(what) + " N" + std::to_string(s.batch) + " T" + std::to_string(s.steps) + " F" +
         std::to_string(s.features);
}

inline KernelCase make_stats_pool_case(const nn::SequencePoolShape& s) {
  KernelCase k;
  k.name = sequence_name("stats_pool", s);
  const size_t in = sz(s.batch * s.steps * s.features), out = sz(s.batch * 2 * s.features);
  k.flops = 4.0 * static_cast<double>(in);
  k.backward_flops = 4.0 * static_cast<double>(in);
  k.inputs = {{in}};
  k.naive_forward = [=](const DArrays& a) {
    Vec y(out);
    nn::stats_pool_forward_naive(a[0].data(), y.data(), s, 1e-5);
    return y;
  };
  k.naive_backward = [=](const DArrays& a, const Vec& dy) {
    Vec y(out);
    nn::stats_pool_forward_naive(a[0].data(), y.data(), s, 1e-5);
    DArrays g{Vec(in)};
    nn::stats_pool_backward_naive(a[0].data(), y.data(), dy.data(), g[0].data(), s);
    return g;
  };
  k.fast_forward = [=](const FArrays& a, int threads) {
    FVec y(out);
    nn::stats_pool_forward(a[0].data(), y.data(), s, 1e-5f, threads);
    return y;
  };
  k.fast_backward = [=](const FArrays& a, const FVec& y, const FVec& dy, FArrays& g, int threads) {
    nn::stats_pool_backward(a[0].data(), y.data(), dy.data(), g[0].data(), s, threads);
  };
  return k;
}

inline KernelCase make_attention_pool_case(const nn::SequencePoolShape& s) {
  KernelCase k;
  k.name = sequence_name("attention_pool", s) + " U" + std::to_string(s.units);
  const size_t rows = sz(s.batch * s.steps), F = sz(s.features), U = sz(s.units);
  k.flops = 2.0 * static_cast<double>(rows * U * F) + 4.0 * static_cast<double>(rows * (U + F));
  k.backward_flops = 2 * k.flops;
  k.inputs = {{rows * F}, {U * F}, {U}, {U}};
  // The score gradient is a difference of two sums of F products (dalpha_t
  // minus the alpha-weighted mean of them), which float cancels: at 32 x 100
  // x 128 the fast kernel lies 1.7e-6 to 2.1e-6 from the double reference
  // depending on the build's code generation. The math itself is held to
  // 1e-9 by the finite-difference check in double.
  k.tolerance = 1e-5;
  auto naive_run = [=](const DArrays& a, Vec& y, Vec& act, Vec& alpha) {
    y.assign(sz(s.batch) * F, 0);
    act.assign(rows * U, 0);
    alpha.assign(rows, 0);
    nn::attention_pool_forward_naive(a[0].data(), a[1].data(), a[2].data(), a[3].data(), y.data(), act.data(),
                                     alpha.data(), s);
  };
  k.naive_forward = [=](const DArrays& a) {
    Vec y, act, alpha;
    naive_run(a, y, act, alpha);
    return y;
  };
  k.naive_backward = [=](const DArrays& a, const Vec& dy) {
    Vec y, act, alpha;
    naive_run(a, y, act, alpha);
    DArrays g{Vec(a[0].size()), Vec(a[1].size()), Vec(a[2].size()), Vec(a[3].size())};
    nn::attention_pool_backward_naive(a[0].data(), a[1].data(), a[3].data(), act.data(), alpha.data(), dy.data(),
                                      g[0].data(), g[1].data(), g[2].data(), g[3].data(), s);
    return g;
  };
  auto fast_run = [=](const FArrays& a, FVec& y, FVec& act, FVec& alpha, int threads) {
    y.assign(sz(s.batch) * F, 0);
    act.assign(rows * U, 0);
    alpha.assign(rows, 0);
    nn::attention_pool_forward(a[0].data(), a[1].data(), a[2].data(), a[3].data(), y.data(), act.data(), alpha.data(),
                               s, threads);
  };
  k.fast_forward = [=](const FArrays& a, int threads) {
    FVec y, act, alpha;
    fast_run(a, y, act, alpha, threads);
    return y;
  };
  k.fast_backward = [=](const FArrays& a, const FVec&, const FVec& dy, FArrays& g, int threads) {
    FVec y, act, alpha;
    fast_run(a, y, act, alpha, threads);
    nn::attention_pool_backward(a[0].data(), a[1].data(), a[3].data(), act.data(), alpha.data(), dy.data(),
                                g[0].data(), g[1].data(), g[2].data(), g[3].data(), s, threads);
  };
  return k;
}

// ---- element-wise activations and softmax: one template, run in float (the
// fast path, vectorised exp and tanh) and in double (the reference)

template <class Forward, class Backward>
KernelCase make_unary_case(const std::string& name, size_t n, Input input, bool from_output, Forward f, Backward b) {
  KernelCase k;
  k.name = name;
  k.flops = static_cast<double>(n);
  k.backward_flops = static_cast<double>(n);
  k.inputs = {input};
  k.naive_forward = [=](const DArrays& a) {
    Vec y(n);
    f(a[0].data(), y.data());
    return y;
  };
  k.naive_backward = [=](const DArrays& a, const Vec& dy) {
    Vec y(n);
    f(a[0].data(), y.data());
    DArrays g{Vec(n)};
    b(from_output ? y.data() : a[0].data(), dy.data(), g[0].data());
    return g;
  };
  k.fast_forward = [=](const FArrays& a, int /*threads: serial*/) {
    FVec y(n);
    f(a[0].data(), y.data());
    return y;
  };
  k.fast_backward = [=](const FArrays& a, const FVec& y, const FVec& dy, FArrays& g, int /*threads: serial*/) {
    b(from_output ? y.data() : a[0].data(), dy.data(), g[0].data());
  };
  return k;
}

// ---- cross-entropy (the output is the mean loss) and batch norm

inline KernelCase make_cross_entropy_case(int64_t N, int64_t C, bool weighted, double smoothing = 0.0) {
  KernelCase k;
  k.name = std::string("cross_entropy") + (weighted ? " weighted " : " ") + std::to_string(N) + "x" + std::to_string(C) +
           (smoothing > 0 ? " smoothing " + std::to_string(smoothing).substr(0, 4) : "");
  k.flops = 3.0 * static_cast<double>(N * C);
  k.backward_flops = static_cast<double>(N * C);
  k.inputs = {{sz(N * C), Fill::uniform, -2, 2}};
  std::vector<int32_t> targets(sz(N));
  for (int64_t i = 0; i < N; ++i) targets[sz(i)] = static_cast<int32_t>((i * 7 + 3) % C);
  Vec wd;
  for (int64_t c = 0; c < (weighted ? C : 0); ++c) wd.push_back(0.5 + 0.25 * static_cast<double>(c % 5));
  const FVec wf = narrow(wd);
  const auto sf = static_cast<float>(smoothing);
  k.naive_forward = [=](const DArrays& a) {
    Vec p(a[0].size());
    return Vec{nn::cross_entropy_forward(a[0].data(), targets.data(), wd.empty() ? nullptr : wd.data(), p.data(), N, C,
                                         smoothing)};
  };
  k.naive_backward = [=](const DArrays& a, const Vec& dy) {
    Vec p(a[0].size());
    nn::cross_entropy_forward(a[0].data(), targets.data(), wd.empty() ? nullptr : wd.data(), p.data(), N, C, smoothing);
    DArrays g{Vec(a[0].size())};
    nn::cross_entropy_backward(p.data(), targets.data(), wd.empty() ? nullptr : wd.data(), dy[0], g[0].data(), N, C,
                               smoothing);
    return g;
  };
  k.fast_forward = [=](const FArrays& a, int /*threads: serial*/) {
    FVec p(a[0].size());
    return FVec{nn::cross_entropy_forward(a[0].data(), targets.data(), wf.empty() ? nullptr : wf.data(), p.data(), N, C,
                                          sf)};
  };
  k.fast_backward = [=](const FArrays& a, const FVec&, const FVec& dy, FArrays& g, int /*threads: serial*/) {
    FVec p(a[0].size());
    nn::cross_entropy_forward(a[0].data(), targets.data(), wf.empty() ? nullptr : wf.data(), p.data(), N, C, sf);
    nn::cross_entropy_backward(p.data(), targets.data(), wf.empty() ? nullptr : wf.data(), dy[0], g[0].data(), N, C,
                               sf);
  };
  return k;
}

inline KernelCase make_batchnorm_case(const nn::BatchNormShape& s, bool train) {
  KernelCase k;
  k.name = std::string("batchnorm ") + (train ? "train " : "frozen ") + std::to_string(s.batch) + "x" +
           std::to_string(s.channels) + "x" + std::to_string(s.spatial);
  const size_t n = sz(s.batch * s.channels * s.spatial), C = sz(s.channels);
  k.flops = 5.0 * static_cast<double>(n);
  k.backward_flops = 6.0 * static_cast<double>(n);
  // x, gamma, beta; then the frozen statistics (mean, 1/std), not differentiated.
  k.inputs = {{n, Fill::uniform, -2, 2},
              {C, Fill::uniform, 0.5, 1.5},
              {C},
              {C, Fill::uniform, -1, 1, false},
              {C, Fill::uniform, 0.5, 2, false}};
  // threads < 0: the naive twins; else the fast kernels on that many threads.
  auto forward = [=](const auto& a, auto& y, auto& m, auto& is, int threads) {
    using T = std::decay_t<decltype(a[0][0])>;
    std::vector<T> var(C);
    y.assign(n, 0);
    m = a[3];
    is = a[4];
    if constexpr (std::is_same_v<T, float>)
      if (threads >= 0) {
        if (train)
          nn::batchnorm_train_forward(a[0].data(), a[1].data(), a[2].data(), y.data(), m.data(), var.data(),
                                      is.data(), 1e-5f, s, threads);
        else
          nn::batchnorm_frozen_forward(a[0].data(), a[1].data(), a[2].data(), m.data(), is.data(), y.data(), s,
                                       threads);
        return;
      }
    if (train)
      nn::batchnorm_train_forward_naive(a[0].data(), a[1].data(), a[2].data(), y.data(), m.data(), var.data(),
                                        is.data(), T(1e-5), s);
    else
      nn::batchnorm_frozen_forward_naive(a[0].data(), a[1].data(), a[2].data(), m.data(), is.data(), y.data(), s);
  };
  auto backward = [=](const auto& a, const auto& dy, auto& g, int threads, nn::Overwrite overwrite = {}) {
    using T = std::decay_t<decltype(dy[0])>;
    std::decay_t<decltype(dy)> y, m, is;
    forward(a, y, m, is, threads);
    if constexpr (std::is_same_v<T, float>)
      if (threads >= 0) {
        if (train)
          nn::batchnorm_train_backward(a[0].data(), a[1].data(), m.data(), is.data(), dy.data(), g[0].data(),
                                       g[1].data(), g[2].data(), s, overwrite, threads);
        else
          nn::batchnorm_frozen_backward(a[0].data(), a[1].data(), m.data(), is.data(), dy.data(), g[0].data(),
                                        g[1].data(), g[2].data(), s, threads);
        return;
      }
    if (train)
      nn::batchnorm_train_backward_naive(a[0].data(), a[1].data(), m.data(), is.data(), dy.data(), g[0].data(),
                                         g[1].data(), g[2].data(), s);
    else
      nn::batchnorm_frozen_backward_naive(a[0].data(), a[1].data(), m.data(), is.data(), dy.data(), g[0].data(),
                                          g[1].data(), g[2].data(), s);
  };
  k.naive_forward = [=](const DArrays& a) {
    Vec y, m, is;
    forward(a, y, m, is, -1);
    return y;
  };
  k.naive_backward = [=](const DArrays& a, const Vec& dy) {
    DArrays g{Vec(n), Vec(C), Vec(C), Vec(C), Vec(C)};
    backward(a, dy, g, -1);
    return g;
  };
  k.fast_forward = [=](const FArrays& a, int threads) {
    FVec y, m, is;
    forward(a, y, m, is, threads);
    return y;
  };
  k.fast_backward = [=](const FArrays& a, const FVec&, const FVec& dy, FArrays& g, int threads) {
    backward(a, dy, g, threads);
  };
  if (train)
    k.fast_backward_fresh = [=](const FArrays& a, const FVec&, const FVec& dy, FArrays& g, int threads) {
      backward(a, dy, g, threads, nn::Overwrite{.dx = true, .params = true});
    };
  k.tolerance = 1e-5;  // batch statistics summed in float
  return k;
}

// ---- the tables

// Convolutions: every path (direct 1-D loops, implicit im2col over the
// input's rows, im2col + sgemm, pointwise), strides, dilations, padding,
// batches of one (threads inside a sample) and of many (threads across).
inline std::vector<std::pair<std::string, Conv2dShape>> conv_table() {
  using nn::Padding;
  return {
      {"1d valid", conv1d_shape(2, 3, 11, 4, 5, 1, 1, Padding::valid)},
      {"1d stride 2 pad 2", conv1d_shape(2, 3, 9, 2, 4, 2, 1, Padding::explicit_pad, 2)},
      {"1d dilation 2", conv1d_shape(1, 2, 12, 3, 3, 1, 2, Padding::valid)},
      {"2d valid", conv_shape(2, 2, 6, 5, 3, 3, 3, 1, 1, Padding::valid)},
      {"2d same stride 2", conv_shape(1, 2, 7, 6, 2, 3, 3, 2, 1, Padding::same)},
      {"2d same 5x5", conv_shape(1, 1, 6, 7, 2, 5, 5, 1, 1, Padding::same)},
      {"2d explicit pad 1", conv_shape(2, 1, 5, 5, 2, 3, 3, 2, 1, Padding::explicit_pad, 1)},
      {"2d same 3x3 9x11", conv_shape(3, 2, 9, 11, 5, 3, 3, 1, 1, Padding::same)},
      {"2d stride 2 batch 1", conv_shape(1, 3, 17, 13, 7, 5, 5, 2, 1, Padding::explicit_pad, 2)},
      {"2d dilation 2", conv_shape(4, 4, 12, 12, 6, 3, 3, 1, 2, Padding::valid)},
      {"pointwise", conv_shape(5, 8, 6, 7, 33, 1, 1, 1, 1, Padding::valid)},
      {"1d TESS conv1 (direct)", conv1d_shape(6, 1, 301, 8, 13, 1, 1, Padding::valid)},
      {"1d direct 144 outputs", conv1d_shape(3, 2, 150, 5, 7, 1, 1, Padding::valid)},
      {"1d direct 66 outputs", conv1d_shape(2, 1, 70, 3, 5, 1, 1, Padding::valid)},
      {"1d implicit tile edges", conv1d_shape(2, 6, 39, 9, 7, 1, 1, Padding::valid)},
      {"1d implicit same", conv1d_shape(2, 3, 40, 5, 7, 1, 1, Padding::same)},
      {"1d implicit dilation 2", conv1d_shape(3, 4, 50, 9, 5, 1, 2, Padding::same)},
      {"1d stride 3 pad 5", conv1d_shape(2, 16, 37, 35, 11, 3, 1, Padding::explicit_pad, 5)},
      {"1d TESS conv4 batch 1", conv1d_shape(1, 32, 84, 64, 7, 1, 1, Padding::valid)},
      {"2d FER conv2 batch 4", conv_shape(4, 16, 24, 24, 32, 3, 3, 1, 1, Padding::same)},
      // Wide enough for Winograd's F(2x2, 3x3) (nn/kernels/winograd.hpp).
      {"2d winograd odd sizes", conv_shape(2, 128, 7, 9, 136, 3, 3, 1, 1, Padding::same)},
      {"2d winograd valid", conv_shape(2, 160, 6, 5, 128, 3, 3, 1, 1, Padding::valid)},
      {"2d winograd explicit pad 2", conv_shape(1, 128, 5, 4, 192, 3, 3, 1, 1, Padding::explicit_pad, 2)},
      // Forward on Winograd's path, backward on the implicit one (too narrow
      // for Winograd's backward); a block of tiles spans all three samples.
      {"2d winograd forward only", conv_shape(3, 32, 9, 11, 40, 3, 3, 1, 1, Padding::same)},
      // 5x5 layers on F(2x2, 5x5) forward (from 64 channels in), their
      // input's gradient too; odd sizes cut the last tiles, valid padding
      // reads no zeros.
      {"2d winograd 5x5 same", conv_shape(2, 64, 9, 7, 48, 5, 5, 1, 1, Padding::same)},
      {"2d winograd 5x5 valid", conv_shape(1, 72, 8, 9, 32, 5, 5, 1, 1, Padding::valid)},
      // Rows of 8 tiles and more (16 outputs wide): gathered and stored a
      // row at a time, beside the rows' ragged ends.
      {"2d winograd wide rows", conv_shape(2, 32, 6, 37, 32, 3, 3, 1, 1, Padding::same)},
      {"2d winograd 5x5 wide rows", conv_shape(1, 64, 5, 36, 40, 5, 5, 1, 1, Padding::same)},
      // Forward-only layers from 64 channels in: the weights' gradient by
      // Winograd's blocked products too (the 5x5 cases above take it as
      // well). Odd width: tiles cut at the right edge; even width, rows of 18
      // tiles: groups of eight across a row's end, read as two rows.
      {"2d winograd weight grad odd", conv_shape(3, 64, 10, 23, 48, 3, 3, 1, 1, Padding::same)},
      {"2d winograd weight grad rows", conv_shape(2, 96, 8, 36, 64, 3, 3, 1, 1, Padding::same)},
      // 1-D layers of kernel 5 from 64 channels (F(4, 5);
      // nn/kernels/winograd1d.hpp): lengths that cut the last tile and the
      // last group of eight, padding of every kind (the input's gradient runs
      // with 4 - pad), and rows of over 512 tiles, one sample per chunk:
      // three chunks summed.
      {"1d winograd same", conv1d_shape(2, 64, 37, 72, 5, 1, 1, Padding::same)},
      {"1d winograd long rows", conv1d_shape(3, 80, 150, 64, 5, 1, 1, Padding::same)},
      {"1d winograd valid", conv1d_shape(1, 64, 29, 64, 5, 1, 1, Padding::valid)},
      {"1d winograd pad 1", conv1d_shape(2, 64, 20, 80, 5, 1, 1, Padding::explicit_pad, 1)},
      {"1d winograd pad 4", conv1d_shape(2, 64, 21, 64, 5, 1, 1, Padding::explicit_pad, 4)},
      {"1d winograd chunks", conv1d_shape(3, 64, 2050, 64, 5, 1, 1, Padding::same)},
  };
}

// Max pools: the 1-D interior path (pool = stride, 16 windows at a time,
// tails), overlapping and padded windows, 2-D pools with and without stride.
inline std::vector<Pool2dShape> maxpool_table() {
  using nn::Padding;
  return {pool_shape(4, 1, 20, 1, 3, 1, 3, Padding::valid),  pool_shape(3, 1, 17, 1, 2, 1, 3, Padding::valid),
          pool_shape(2, 1, 10, 1, 3, 1, 3, Padding::same),   pool_shape(3, 9, 8, 2, 2, 2, 2, Padding::valid),
          pool_shape(2, 8, 7, 2, 2, 3, 3, Padding::same),    pool_shape(7, 1, 2388, 1, 3, 1, 3, Padding::valid),
          pool_shape(3, 1, 101, 1, 2, 1, 2, Padding::valid), pool_shape(2, 1, 23, 1, 4, 1, 4, Padding::valid),
          pool_shape(2, 1, 141, 1, 4, 1, 4, Padding::valid), pool_shape(3, 5, 40, 1, 2, 1, 2, Padding::valid),
          pool_shape(2, 1, 23, 1, 5, 1, 5, Padding::valid),  pool_shape(4, 1, 300, 1, 5, 1, 2, Padding::same),
          pool_shape(5, 44, 46, 2, 2, 2, 2, Padding::valid), pool_shape(3, 128, 165, 2, 2, 3, 3, Padding::valid),
          pool_shape(2, 13, 15, 3, 3, 2, 2, Padding::valid), pool_shape(2, 9, 10, 2, 2, 1, 1, Padding::valid),
          pool_shape(2, 13, 15, 3, 3, 2, 2, Padding::same)};
}

inline std::vector<KernelCase> kernel_cases() {
  using nn::Padding;
  std::vector<KernelCase> t;
  for (const auto& [name, shape] : conv_table()) t.push_back(make_conv_case(name, shape));
  for (const char* name :
       {"1d TESS conv1 (direct)", "1d TESS conv4 batch 1", "2d same 3x3 9x11", "pointwise", "2d winograd odd sizes",
        "2d winograd forward only", "2d winograd 5x5 same", "2d winograd wide rows", "2d winograd weight grad rows",
        "1d winograd same", "1d winograd long rows"})
    for (const auto& [n, shape] : conv_table())
      if (n == name) t.push_back(make_conv_case(name, shape, /*relu=*/true));
  for (auto [N, in, out] :
       {std::tuple<int64_t, int64_t, int64_t>{3, 5, 4}, {1, 1, 1}, {3, 17, 5}, {7, 33, 129}, {32, 1664, 256}})
    t.push_back(make_dense_case(N, in, out));
  for (const Pool2dShape& shape : maxpool_table()) t.push_back(make_maxpool_case(shape));
  for (const Pool2dShape& s :
       {pool_shape(2, 1, 9, 1, 3, 1, 2, Padding::same), pool_shape(2, 5, 6, 2, 2, 2, 2, Padding::valid),
        pool_shape(1, 7, 7, 3, 3, 2, 2, Padding::same)})
    t.push_back(make_avgpool_case(s));
  for (const nn::LstmShape& s :
       {nn::LstmShape{2, 5, 3, 4}, nn::LstmShape{1, 1, 3, 2}, nn::LstmShape{3, 7, 5, 9}, nn::LstmShape{4, 12, 40, 33}})
    t.push_back(make_lstm_case(s));
  for (const nn::GruShape& s :
       {nn::GruShape{2, 5, 3, 4}, nn::GruShape{1, 1, 3, 2}, nn::GruShape{3, 7, 5, 9}, nn::GruShape{20, 12, 40, 33}})
    t.push_back(make_gru_case(s));
  for (const nn::SequencePoolShape& s :
       {nn::SequencePoolShape{2, 5, 3, 4}, nn::SequencePoolShape{1, 1, 2, 1}, nn::SequencePoolShape{3, 9, 7, 5},
        nn::SequencePoolShape{32, 100, 128, 64}}) {
    t.push_back(make_stats_pool_case(s));
    t.push_back(make_attention_pool_case(s));
  }
  const int64_t n = 67;  // not a multiple of any vector width
  t.push_back(make_unary_case(
      "relu", sz(n), {sz(n), Fill::away_from_zero}, false, [n](auto* x, auto* y) { nn::relu_forward(x, y, n); },
      [n](auto* x, auto* dy, auto* dx) { nn::relu_backward(x, dy, dx, n); }));
  t.back().fast_backward_fresh = [size = n](const FArrays& a, const FVec&, const FVec& dy, FArrays& g, int) {
    nn::relu_backward(a[0].data(), dy.data(), g[0].data(), size, /*overwrite=*/true);
  };
  t.push_back(make_unary_case(
      "tanh", sz(n), {sz(n), Fill::uniform, -3, 3}, true, [n](auto* x, auto* y) { nn::tanh_forward(x, y, n); },
      [n](auto* y, auto* dy, auto* dx) { nn::tanh_backward(y, dy, dx, n); }));
  t.push_back(make_unary_case(
      "sigmoid", sz(n), {sz(n), Fill::uniform, -6, 6}, true, [n](auto* x, auto* y) { nn::sigmoid_forward(x, y, n); },
      [n](auto* y, auto* dy, auto* dx) { nn::sigmoid_backward(y, dy, dx, n); }));
  t.push_back(make_unary_case(
      "softmax 3x7", 21, {21, Fill::uniform, -3, 3}, true, [](auto* x, auto* y) { nn::softmax_forward(x, y, 3, 7); },
      [](auto* y, auto* dy, auto* dx) { nn::softmax_backward(y, dy, dx, 3, 7); }));
  for (bool weighted : {false, true}) {
    t.push_back(make_cross_entropy_case(4, 5, weighted));
    t.push_back(make_cross_entropy_case(4, 5, weighted, 0.1));
  }
  // Rows of one value (a dense layer's), short rows, rows in 64 lanes with
  // a tail, and a batch large enough to be shared over the threads.
  for (const nn::BatchNormShape& s : {nn::BatchNormShape{5, 3, 1}, nn::BatchNormShape{3, 2, 6},
                                      nn::BatchNormShape{3, 4, 150}, nn::BatchNormShape{64, 40, 1},
                                      nn::BatchNormShape{4, 9, 1100}})
    for (bool train : {true, false}) t.push_back(make_batchnorm_case(s, train));
  return t;
}

// The inputs of a case drawn from `rng`.
inline DArrays draw_inputs(const KernelCase& k, Rng& rng) {
  DArrays out;
  for (const Input& in : k.inputs) {
    Vec v(in.size);
    if (in.fill == Fill::distinct) {
      for (size_t i = 0; i < v.size(); ++i) v[i] = (static_cast<double>(i) - static_cast<double>(v.size()) / 2) * 0.01;
      rng.shuffle(v);
    } else {
      for (auto& x : v) x = in.lo + (in.hi - in.lo) * rng.uniform();
      if (in.fill == Fill::away_from_zero)
        for (auto& x : v) x = x >= 0 ? x + 0.05 : x - 0.05;
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace ser::test
