#include "nn/optim/optimizer.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace ser::nn {

namespace {
// From this many parameters on a tensor's update is worth a thread fork.
constexpr int64_t kParallelElements = 1 << 16;

// The updates as plain loops over restrict pointers, which GCC vectorises
// (an `omp parallel for simd` with an `if` left the serial case scalar).
void adam_update(float* __restrict w, const float* __restrict g, float* __restrict m, float* __restrict v,
                 int64_t n, float b1, float b2, float step, float bc2_sqrt, float eps) {
  for (int64_t i = 0; i < n; ++i) {
    m[i] = b1 * m[i] + (1.0f - b1) * g[i];
    v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
    w[i] -= step * m[i] / (std::sqrt(v[i]) / bc2_sqrt + eps);
  }
}

void rmsprop_update(float* __restrict w, const float* __restrict g, float* __restrict s, int64_t n, float rho,
                    float lr, float eps) {
  for (int64_t i = 0; i < n; ++i) {
    s[i] = rho * s[i] + (1.0f - rho) * g[i] * g[i];
    w[i] -= lr * g[i] / (std::sqrt(s[i]) + eps);
  }
}
}  // namespace

namespace {
// Runs update(k, g, lo, hi) over elements [lo, hi) of every parameter k
// that has a gradient, g: all of them in one parallel region when there are
// enough (one region per tensor paid a fork and a join for each, with the
// small tensors in between on one thread), each thread taking an equal
// share of the concatenated elements in whole cache lines. The gradients
// are fetched before the threads start (fetching clears a stale one).
// Element-wise: the split changes no bit.
template <typename Update>
void for_parameter_ranges(std::vector<Tensor>& params, int threads, const Update& update) {
  std::vector<const float*> grads(params.size(), nullptr);
  std::vector<int64_t> start(params.size() + 1, 0);  // where parameter k begins, in lines of 16
  for (size_t k = 0; k < params.size(); ++k) {
    if (params[k].has_grad()) grads[k] = params[k].grad();
    start[k + 1] = start[k] + (grads[k] ? (params[k].numel() + 15) / 16 : 0);
  }
  const int64_t lines = start.back();
  auto run = [&](int64_t l0, int64_t l1) {  // lines [l0, l1) of the concatenation
    for (size_t k = 0; k < params.size(); ++k) {
      const int64_t a = std::max(l0, start[k]), b = std::min(l1, start[k + 1]);
      if (a < b) update(k, grads[k], (a - start[k]) * 16, std::min((b - start[k]) * 16, params[k].numel()));
    }
  };
  if (lines * 16 < kParallelElements || threads <= 1 || omp_in_parallel()) {
    run(0, lines);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int64_t t = omp_get_thread_num(), T = omp_get_num_threads();
    run(lines * t / T, lines * (t + 1) / T);
  }
}

std::vector<std::vector<float>> zeros_like(const std::vector<Tensor>& params) {
  std::vector<std::vector<float>> out;
  for (const Tensor& p : params) out.emplace_back(static_cast<size_t>(p.numel()), 0.0f);
  return out;
}
}  // namespace

Optimizer::Optimizer(std::vector<Tensor> params, float lr) : params_(std::move(params)), lr_(lr) {
  if (!(lr > 0.0f)) throw std::invalid_argument("learning rate must be > 0");
  for (const Tensor& p : params_)
    if (!p.requires_grad()) throw std::invalid_argument("optimizer given a tensor that does not require gradients");
}

void Optimizer::zero_grad() {
  for (Tensor& p : params_) p.zero_grad();
}

Sgd::Sgd(std::vector<Tensor> params, SgdOptions o) : Optimizer(std::move(params), o.lr), o_(o) {
  velocity_ = zeros_like(params_);
}

void Sgd::step(int threads) {
  const float m = o_.momentum, lr = lr_;
  const bool nesterov = o_.nesterov;
  for_parameter_ranges(params_, threads, [&](size_t k, const float* g, int64_t lo, int64_t hi) {
    float* w = params_[k].data();
    float* v = velocity_[k].data();
    for (int64_t i = lo; i < hi; ++i) {
      if (m == 0.0f) {
        w[i] -= lr * g[i];
        continue;
      }
      v[i] = m * v[i] + g[i];
      w[i] -= lr * (nesterov ? g[i] + m * v[i] : v[i]);
    }
  });
}

std::vector<std::vector<float>*> Sgd::state() {
  std::vector<std::vector<float>*> s;
  for (auto& v : velocity_) s.push_back(&v);
  return s;
}

Adam::Adam(std::vector<Tensor> params, AdamOptions o) : Optimizer(std::move(params), o.lr), o_(o) {
  m_ = zeros_like(params_);
  v_ = zeros_like(params_);
}

void Adam::step(int threads) {
  t_[0] += 1.0f;
  const double t = t_[0];
  const float bc1 = static_cast<float>(1.0 - std::pow(static_cast<double>(o_.beta1), t));
  const float bc2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(static_cast<double>(o_.beta2), t)));
  const float step = lr_ / bc1, b1 = o_.beta1, b2 = o_.beta2, eps = o_.epsilon;
  for_parameter_ranges(params_, threads, [&](size_t k, const float* g, int64_t lo, int64_t hi) {
    adam_update(params_[k].data() + lo, g + lo, m_[k].data() + lo, v_[k].data() + lo, hi - lo, b1, b2, step,
                bc2_sqrt, eps);
  });
}

std::vector<std::vector<float>*> Adam::state() {
  std::vector<std::vector<float>*> s{&t_};
  for (auto& m : m_) s.push_back(&m);
  for (auto& v : v_) s.push_back(&v);
  return s;
}

RmsProp::RmsProp(std::vector<Tensor> params, RmsPropOptions o) : Optimizer(std::move(params), o.lr), o_(o) {
  s_ = zeros_like(params_);
}

void RmsProp::step(int threads) {
  const float rho = o_.rho, eps = o_.epsilon, lr = lr_;
  for_parameter_ranges(params_, threads, [&](size_t k, const float* g, int64_t lo, int64_t hi) {
    rmsprop_update(params_[k].data() + lo, g + lo, s_[k].data() + lo, hi - lo, rho, lr, eps);
  });
}

std::vector<std::vector<float>*> RmsProp::state() {
  std::vector<std::vector<float>*> s;
  for (auto& v : s_) s.push_back(&v);
  return s;
}

float clip_grad_norm(const std::vector<Tensor>& params, float max_norm) {
  double sq = 0;
  for (const Tensor& p : params)
    for (float g : p.grad_values()) sq += static_cast<double>(g) * g;
  const float norm = static_cast<float>(std::sqrt(sq));
  if (norm > max_norm && norm > 0.0f) {
    const float f = max_norm / norm;
    for (Tensor p : params)
      if (p.has_grad())
        for (int64_t i = 0, n = p.numel(); i < n; ++i) p.grad()[i] *= f;
  }
  return norm;
}

void clip_grad_value(const std::vector<Tensor>& params, float limit) {
  for (Tensor p : params)
    if (p.has_grad())
      for (int64_t i = 0, n = p.numel(); i < n; ++i) p.grad()[i] = std::clamp(p.grad()[i], -limit, limit);
}

}  // namespace ser::nn
