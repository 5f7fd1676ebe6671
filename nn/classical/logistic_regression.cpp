#include "nn/classical/logistic_regression.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <numeric>

namespace ser::nn::classical {

namespace {
double dot(std::span<const double> a, std::span<const double> b) {
  return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
}

double max_abs(std::span<const double> v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}

// L-BFGS's two-loop recursion: the quasi-Newton direction -H g from the
// stored pairs (s, y), oldest first.
std::vector<double> direction(const std::vector<double>& g, const std::deque<std::vector<double>>& s,
                              const std::deque<std::vector<double>>& y) {
  std::vector<double> q(g.size());
  std::transform(g.begin(), g.end(), q.begin(), [](double x) { return -x; });
  std::vector<double> alpha(s.size());
  for (size_t k = s.size(); k-- > 0;) {
    alpha[k] = dot(s[k], q) / dot(y[k], s[k]);
    for (size_t j = 0; j < q.size(); ++j) q[j] -= alpha[k] * y[k][j];
  }
  if (!s.empty()) {  // the initial Hessian's scale from the newest pair
    const double gamma = dot(s.back(), y.back()) / dot(y.back(), y.back());
    for (double& v : q) v *= gamma;
  }
  for (size_t k = 0; k < s.size(); ++k) {
    const double beta = dot(y[k], q) / dot(y[k], s[k]);
    for (size_t j = 0; j < q.size(); ++j) q[j] += (alpha[k] - beta) * s[k][j];
  }
  return q;
}
}  // namespace

double logistic_objective(const Rows& r, double C, std::span<const double> theta, std::span<double> gradient) {
  const auto K = static_cast<size_t>(r.classes), d = static_cast<size_t>(r.d);
  const double* w = theta.data();
  const double* b = theta.data() + K * d;
  std::fill(gradient.begin(), gradient.end(), 0.0);
  double* gw = gradient.data();
  double* gb = gradient.data() + K * d;
  std::vector<double> z(K);
  double loss = 0;
  for (size_t i = 0; i < static_cast<size_t>(r.n); ++i) {
    const float* x = r.x.data() + i * d;
    for (size_t k = 0; k < K; ++k) {
      double acc = b[k];
      for (size_t j = 0; j < d; ++j) acc += w[k * d + j] * x[j];
      z[k] = acc;
    }
    const double top = *std::max_element(z.begin(), z.end());
    double sum = 0;
    for (double v : z) sum += std::exp(v - top);
    const double lse = top + std::log(sum);
    const auto label = static_cast<size_t>(r.y[i]);
    loss += lse - z[label];
    for (size_t k = 0; k < K; ++k) {
      const double dz = std::exp(z[k] - lse) - (k == label ? 1.0 : 0.0);
      for (size_t j = 0; j < d; ++j) gw[k * d + j] += dz * x[j];
      gb[k] += dz;
    }
  }
  const double n = static_cast<double>(r.n), penalty = 1.0 / (C * n);
  double w2 = 0;
  for (size_t j = 0; j < K * d; ++j) w2 += w[j] * w[j];
  for (double& g : gradient) g /= n;
  for (size_t j = 0; j < K * d; ++j) gw[j] += penalty * w[j];
  return loss / n + 0.5 * penalty * w2;
}

LinearModel fit_logistic(const Rows& r, const LogisticOptions& o) {
  check_rows(r);
  const size_t size = static_cast<size_t>(r.classes) * static_cast<size_t>(r.d + 1);
  constexpr size_t kPairs = 10;
  std::vector<double> theta(size, 0.0), g(size), next(size), g_next(size);
  double f = logistic_objective(r, o.C, theta, g);
  std::deque<std::vector<double>> s_mem, y_mem;
  LinearModel m;
  for (m.iterations = 0; m.iterations < o.max_iter; ++m.iterations) {
    if (max_abs(g) < o.tolerance) {
      m.converged = true;
      break;
    }
    std::vector<double> dir = direction(g, s_mem, y_mem);
    double slope = dot(g, dir);
    if (!(slope < 0)) {  // not a descent direction: restart from the gradient
      s_mem.clear();
      y_mem.clear();
      dir = direction(g, s_mem, y_mem);
      slope = dot(g, dir);
    }
    // The first step has no curvature to go by: a unit step along the gradient's direction.
    double step = s_mem.empty() ? std::min(1.0, 1.0 / std::sqrt(dot(g, g))) : 1.0;
    double f_next = 0;
    for (;; step *= 0.5) {
      for (size_t j = 0; j < size; ++j) next[j] = theta[j] + step * dir[j];
      f_next = logistic_objective(r, o.C, next, g_next);
      if (f_next <= f + 1e-4 * step * slope || step < 1e-20) break;
    }
    if (!(f_next < f)) {  // no decrease left at double precision: the optimum
      m.converged = true;
      break;
    }
    std::vector<double> s(size), y(size);
    for (size_t j = 0; j < size; ++j) {
      s[j] = next[j] - theta[j];
      y[j] = g_next[j] - g[j];
    }
    if (dot(s, y) > 1e-12 * dot(y, y)) {
      s_mem.push_back(std::move(s));
      y_mem.push_back(std::move(y));
      if (s_mem.size() > kPairs) {
        s_mem.pop_front();
        y_mem.pop_front();
      }
    }
    theta.swap(next);
    g.swap(g_next);
    f = f_next;
  }
  const size_t wd = static_cast<size_t>(r.classes) * static_cast<size_t>(r.d);
  m.weight.assign(theta.begin(), theta.begin() + static_cast<std::ptrdiff_t>(wd));
  m.bias.assign(theta.begin() + static_cast<std::ptrdiff_t>(wd), theta.end());
  m.objective = f;
  return m;
}

}  // namespace ser::nn::classical
