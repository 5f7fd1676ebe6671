#pragma once
// Finite-difference gradient check for the naive kernels, in double precision.
//
// A case gives its inputs, a forward function and a backward function that
// returns d(sum(y * dy))/d(input) for every input. The check draws a random
// upstream gradient dy, then compares each analytic gradient element with the
// central difference (L(x + h) - L(x - h)) / 2h of L = sum(y * dy), h = 1e-6.
// In double the difference is accurate to about 1e-8 relative, so the
// tolerance is 1e-6 of the largest gradient of that input.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "common/rng.hpp"

namespace ser::test {

using Arrays = std::vector<std::vector<double>>;

struct GradCase {
  std::string name;
  Arrays inputs;
  std::vector<std::string> input_names;
  std::vector<bool> differentiable;  // empty: all
  std::function<std::vector<double>(const Arrays&)> forward;
  std::function<Arrays(const Arrays&, const std::vector<double>& dy)> backward;
};

inline std::vector<double> random_vector(size_t n, nn::Rng& rng, double lo = -1.0, double hi = 1.0) {
  std::vector<double> v(n);
  for (auto& x : v) x = lo + (hi - lo) * rng.uniform();
  return v;
}

// Values of a random permutation spaced `gap` apart: no ties and no two
// values within a finite-difference step, so max-pool winners are stable.
inline std::vector<double> distinct_vector(size_t n, nn::Rng& rng, double gap = 0.01) {
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = (static_cast<double>(i) - static_cast<double>(n) / 2) * gap;
  rng.shuffle(v);
  return v;
}

// Values at least `margin` away from zero (ReLU's kink).
inline std::vector<double> away_from_zero(size_t n, nn::Rng& rng, double margin = 0.05) {
  auto v = random_vector(n, rng);
  for (auto& x : v) x = x >= 0 ? x + margin : x - margin;
  return v;
}

// Returns the largest relative error found and records a doctest failure if
// it exceeds `tolerance`.
inline double gradcheck(const GradCase& c, nn::Rng& rng, double tolerance = 1e-6) {
  const std::vector<double> y = c.forward(c.inputs);
  const std::vector<double> dy = random_vector(y.size(), rng);
  const Arrays analytic = c.backward(c.inputs, dy);
  REQUIRE(analytic.size() == c.inputs.size());
  auto loss = [&](const Arrays& in) {
    const auto out = c.forward(in);
    double l = 0;
    for (size_t i = 0; i < out.size(); ++i) l += out[i] * dy[i];
    return l;
  };
  const double h = 1e-6;
  double worst = 0;
  for (size_t k = 0; k < c.inputs.size(); ++k) {
    if (!c.differentiable.empty() && !c.differentiable[k]) continue;
    REQUIRE(analytic[k].size() == c.inputs[k].size());
    double scale = 1e-12;
    for (double g : analytic[k]) scale = std::max(scale, std::abs(g));
    double err = 0;
    Arrays in = c.inputs;
    for (size_t i = 0; i < in[k].size(); ++i) {
      const double x0 = in[k][i];
      in[k][i] = x0 + h;
      const double lp = loss(in);
      in[k][i] = x0 - h;
      const double lm = loss(in);
      in[k][i] = x0;
      err = std::max(err, std::abs((lp - lm) / (2 * h) - analytic[k][i]) / scale);
    }
    const std::string what = c.name + " d/d" + (k < c.input_names.size() ? c.input_names[k] : std::to_string(k));
    INFO(what);
    CHECK(err < tolerance);
    worst = std::max(worst, err);
  }
  return worst;
}

}  // namespace ser::test
