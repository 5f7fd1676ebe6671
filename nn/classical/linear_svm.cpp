#include "nn/classical/linear_svm.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "common/rng.hpp"

namespace ser::nn::classical {

namespace {
struct Binary {
  std::vector<double> w;  // d weights, then the intercept
  int passes = 0;
  bool converged = false;
  double objective = 0;
};

double score(const std::vector<double>& w, const float* x, size_t d) {
  double acc = w[d];
  for (size_t j = 0; j < d; ++j) acc += w[j] * x[j];
  return acc;
}

// One class against the rest, in the dual: 0 <= alpha_i <= C, w = sum alpha_i t_i x_i.
Binary fit_binary(const Rows& r, int positive, const SvmOptions& o) {
  const auto n = static_cast<size_t>(r.n), d = static_cast<size_t>(r.d);
  Binary b;
  b.w.assign(d + 1, 0.0);
  std::vector<double> alpha(n, 0.0), q(n, 1.0);  // q: x_i.x_i with the constant feature
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < d; ++j) q[i] += static_cast<double>(r.x[i * d + j]) * r.x[i * d + j];
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  Rng rng(o.seed + 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(positive + 1));
  for (b.passes = 0; b.passes < o.max_iter && !b.converged; ++b.passes) {
    rng.shuffle(order);
    double most = -std::numeric_limits<double>::infinity(), least = std::numeric_limits<double>::infinity();
    for (size_t i : order) {
      const float* x = r.x.data() + i * d;
      const double t = r.y[i] == positive ? 1.0 : -1.0;
      const double g = t * score(b.w, x, d) - 1.0;
      const double pg = alpha[i] <= 0 ? std::min(g, 0.0) : alpha[i] >= o.C ? std::max(g, 0.0) : g;
      most = std::max(most, pg);
      least = std::min(least, pg);
      if (std::abs(pg) <= 1e-12) continue;
      const double before = alpha[i];
      alpha[i] = std::clamp(alpha[i] - g / q[i], 0.0, o.C);
      const double step = (alpha[i] - before) * t;
      for (size_t j = 0; j < d; ++j) b.w[j] += step * x[j];
      b.w[d] += step;
    }
    b.converged = most - least < o.tolerance;
  }
  double hinge = 0, norm = 0;
  for (double v : b.w) norm += v * v;
  for (size_t i = 0; i < n; ++i)
    hinge += std::max(0.0, 1.0 - (r.y[i] == positive ? 1.0 : -1.0) * score(b.w, r.x.data() + i * d, d));
  b.objective = 0.5 * norm + o.C * hinge;
  return b;
}
}  // namespace

LinearModel fit_linear_svm(const Rows& r, const SvmOptions& o, int threads) {
  check_rows(r);
  std::vector<Binary> parts(static_cast<size_t>(r.classes));
#pragma omp parallel for num_threads(std::max(1, threads)) schedule(dynamic, 1)
  for (int c = 0; c < r.classes; ++c) parts[static_cast<size_t>(c)] = fit_binary(r, c, o);
  LinearModel m;
  m.converged = true;
  const auto d = static_cast<size_t>(r.d);
  for (const Binary& b : parts) {
    m.weight.insert(m.weight.end(), b.w.begin(), b.w.begin() + static_cast<std::ptrdiff_t>(d));
    m.bias.push_back(static_cast<float>(b.w[d]));
    m.iterations = std::max(m.iterations, b.passes);
    m.converged = m.converged && b.converged;
    m.objective += b.objective;
  }
  return m;
}

}  // namespace ser::nn::classical
