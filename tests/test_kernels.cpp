// Every kernel case of the one table (tests/support/kernel_cases.hpp): the
// naive kernel's backward against finite differences in double, and the
// fast float kernel against the naive one run in double on the same inputs,
// forward and backward (gradients accumulated onto what was there), on every
// GEMM instruction set this machine has. What the table cannot say (ties,
// kinks, thread counts, fused paths, overwriting) has its own cases in
// test_kernels_gradcheck.cpp and test_kernels_fast.cpp.
#include <doctest/doctest.h>

#include <cstdio>
#include <limits>
#include <numeric>

#include "nn/kernels/gemm.hpp"
#include "support/gradcheck.hpp"
#include "support/kernel_cases.hpp"

using namespace ser::test;
using ser::nn::GemmIsa;

namespace {

// Finite differences cost one forward per input value; beyond this many
// (input values x forward FLOPs) a case is checked fast-against-naive only.
constexpr double kMaxGradcheckWork = 1e9;

double difference(const FVec& fast, const Vec& ref) {
  REQUIRE(fast.size() == ref.size());
  double worst = 0, scale = 1;
  for (double r : ref) scale = std::max(scale, std::abs(r));
  for (size_t i = 0; i < fast.size(); ++i) {
    if (!std::isfinite(fast[i])) return std::numeric_limits<double>::infinity();
    worst = std::max(worst, std::abs(fast[i] - ref[i]));
  }
  return worst / scale;
}

double gradient_error(const KernelCase& k, ser::Rng& rng) {
  GradCase g;
  g.name = k.name;
  g.inputs = draw_inputs(k, rng);
  for (size_t i = 0; i < k.inputs.size(); ++i) {
    g.input_names.push_back("input " + std::to_string(i));
    g.differentiable.push_back(k.inputs[i].differentiable);
  }
  g.forward = k.naive_forward;
  g.backward = k.naive_backward;
  return gradcheck(g, rng);
}

double fast_error(const KernelCase& k, ser::Rng& rng, int threads) {
  FArrays in;
  DArrays in_d;
  for (const Vec& v : draw_inputs(k, rng)) {
    in.push_back(narrow(v));
    in_d.push_back(widen(in.back()));  // the reference sees exactly the float inputs
  }
  const FVec y = k.fast_forward(in, threads);
  const Vec yr = k.naive_forward(in_d);
  double worst = difference(y, yr);
  FVec dy(y.size());
  for (auto& v : dy) v = static_cast<float>(rng.uniform() * 2 - 1);
  FArrays g;
  for (const FVec& v : in) g.emplace_back(v.size(), 0.5f);  // accumulated onto, as the kernels do
  k.fast_backward(in, y, dy, g, threads);
  DArrays gr = k.naive_backward(in_d, widen(dy));
  for (size_t i = 0; i < in.size(); ++i) {
    if (!k.inputs[i].differentiable) continue;
    Vec added = gr[i];
    for (auto& v : added) v += 0.5;
    worst = std::max(worst, difference(g[i], added));
  }
  if (k.fast_backward_fresh) {  // into gradients the kernel must write (NaN there would show)
    FArrays fresh;
    for (const FVec& v : in) fresh.emplace_back(v.size(), std::numeric_limits<float>::quiet_NaN());
    k.fast_backward_fresh(in, y, dy, fresh, threads);
    for (size_t i = 0; i < in.size(); ++i)
      if (k.inputs[i].differentiable) worst = std::max(worst, difference(fresh[i], gr[i]));
  }
  return worst;
}

// The fast kernel's outputs and gradients on one thread and on `threads`:
// the same bits (every kernel sums in an order that does not depend on the
// count; ser picks the count step by step and promises the same metrics).
bool same_bits_on_threads(const KernelCase& k, ser::Rng& rng, int threads) {
  FArrays in;
  for (const Vec& v : draw_inputs(k, rng)) in.push_back(narrow(v));
  const FVec y1 = k.fast_forward(in, 1), yt = k.fast_forward(in, threads);
  FVec dy(y1.size());
  for (auto& v : dy) v = static_cast<float>(rng.uniform() * 2 - 1);
  FArrays g1, gt;
  for (const FVec& v : in) g1.emplace_back(v.size(), 0.5f);
  gt = g1;
  k.fast_backward(in, y1, dy, g1, 1);
  k.fast_backward(in, y1, dy, gt, threads);
  return y1 == yt && g1 == gt;
}

}  // namespace

TEST_CASE("every kernel case: the naive backward by finite differences, the fast kernel against the naive") {
  ser::Rng rng(1);
  const auto cases = kernel_cases();
  int gradchecked = 0, fast_checked = 0;
  for (const KernelCase& k : cases) {
    CAPTURE(k.name);
    const double values = std::accumulate(k.inputs.begin(), k.inputs.end(), 0.0,
                                          [](double s, const Input& in) { return s + static_cast<double>(in.size); });
    if (values * std::max(k.flops, 1.0) <= kMaxGradcheckWork) {
      std::printf("gradcheck %-44s max rel err %.2e\n", k.name.c_str(), gradient_error(k, rng));
      ++gradchecked;
    }
    if (!k.fast_forward) continue;
    for (GemmIsa isa : {GemmIsa::portable, GemmIsa::avx2, GemmIsa::avx512}) {
      ser::nn::set_gemm_isa(isa);
      if (ser::nn::gemm_isa() != isa) continue;
      const double err = fast_error(k, rng, 2);
      std::printf("fast      %-44s %-8s max rel diff %.2e (tolerance %.0e)\n", k.name.c_str(),
                  ser::nn::gemm_isa_name(isa), err, k.tolerance);
      CHECK(err <= k.tolerance);
      CHECK(same_bits_on_threads(k, rng, 2));
      ++fast_checked;
    }
    ser::nn::set_gemm_isa(ser::nn::gemm_best_isa());
  }
  // The table is what the suite checks: no family may drop out unnoticed.
  CHECK(cases.size() >= 50);
  CHECK(gradchecked >= 30);
  CHECK(fast_checked >= static_cast<int>(cases.size()) - 3);
}
