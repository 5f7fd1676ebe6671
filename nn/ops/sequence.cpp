// reverse_steps, select_step, concat_last, to_sequence, global_avg_pool,
// stats_pool, attention_pool: what recurrent models and their poolings need
#include <memory>
#include <stdexcept>
#include <vector>

#include "nn/kernels/sequence_pool.hpp"
#include "nn/ops.hpp"
#include "nn/ops/param_grads.hpp"

namespace ser::nn {

namespace {
void require_sequence(const Tensor& x, const char* op) {
  if (x.rank() != 3)
    throw std::invalid_argument(std::string(op) + ": input must be [batch, steps, features], got " + x.shape().str());
}
}  // namespace

Tensor reverse_steps(const Tensor& x) {
  require_sequence(x, "reverse_steps");
  const int64_t N = x.dim(0), T = x.dim(1), F = x.dim(2);
  // out[n, t] = x[n, T - 1 - t]; the gradient goes back the same way.
  const auto flip = [N, T, F](const float* from, float* to, bool add) {
    for (int64_t n = 0; n < N; ++n)
      for (int64_t t = 0; t < T; ++t) {
        const float* src = from + (n * T + t) * F;
        float* dst = to + (n * T + T - 1 - t) * F;
        for (int64_t f = 0; f < F; ++f) dst[f] = add ? dst[f] + src[f] : src[f];
      }
  };
  Tensor y = make_op_result(x.shape(), {&x}, [flip](TensorImpl& r, int threads) {
    if (float* dx = r.inputs[0]->grad_if_needed(threads)) flip(r.grad->data(), dx, true);
  });
  flip(x.data(), y.data(), false);
  return y;
}

Tensor select_step(const Tensor& x, int64_t step) {
  require_sequence(x, "select_step");
  const int64_t N = x.dim(0), T = x.dim(1), F = x.dim(2);
  if (step < 0 || step >= T)
    throw std::invalid_argument("select_step: step " + std::to_string(step) + " of " + std::to_string(T));
  Tensor y = make_op_result(Shape{N, F}, {&x}, [N, T, F, step](TensorImpl& r, int threads) {
    float* dx = r.inputs[0]->grad_if_needed(threads);
    if (!dx) return;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t f = 0; f < F; ++f) dx[(n * T + step) * F + f] += r.grad->data()[n * F + f];
  });
  for (int64_t n = 0; n < N; ++n)
    for (int64_t f = 0; f < F; ++f) y.data()[n * F + f] = x.data()[(n * T + step) * F + f];
  return y;
}

Tensor concat_last(const Tensor& a, const Tensor& b) {
  const Shape& sa = a.shape();
  const Shape& sb = b.shape();
  bool fits = sa.rank() == sb.rank() && sa.rank() >= 1;
  for (int d = 0; fits && d + 1 < sa.rank(); ++d) fits = sa[d] == sb[d];
  if (!fits) throw std::invalid_argument("concat_last: shapes " + sa.str() + " and " + sb.str() + " do not join");
  const int64_t A = sa[sa.rank() - 1], B = sb[sb.rank() - 1], rows = a.numel() / A;
  std::vector<int64_t> dims(sa.dims().begin(), sa.dims().end());
  dims.back() = A + B;
  Tensor y = make_op_result(Shape(std::span<const int64_t>(dims)), {&a, &b}, [rows, A, B](TensorImpl& r, int threads) {
    const float* g = r.grad->data();
    if (float* da = r.inputs[0]->grad_if_needed(threads))
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < A; ++j) da[i * A + j] += g[i * (A + B) + j];
    if (float* db = r.inputs[1]->grad_if_needed(threads))
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < B; ++j) db[i * B + j] += g[i * (A + B) + A + j];
  });
  for (int64_t i = 0; i < rows; ++i) {
    std::copy(a.data() + i * A, a.data() + (i + 1) * A, y.data() + i * (A + B));
    std::copy(b.data() + i * B, b.data() + (i + 1) * B, y.data() + i * (A + B) + A);
  }
  return y;
}

Tensor to_sequence(const Tensor& x) {
  if (x.rank() != 4) throw std::invalid_argument("to_sequence: input must be [batch, channels, height, width], got " + x.shape().str());
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  // y[n, w, c * H + h] = x[n, c, h, w]: the width (time) becomes the steps.
  const auto index = [C, H, W](int64_t n, int64_t c, int64_t h, int64_t w, bool to_y) {
    return to_y ? (n * W + w) * C * H + c * H + h : ((n * C + c) * H + h) * W + w;
  };
  Tensor y = make_op_result(Shape{N, W, C * H}, {&x}, [N, C, H, W, index](TensorImpl& r, int threads) {
    float* dx = r.inputs[0]->grad_if_needed(threads);
    if (!dx) return;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t h = 0; h < H; ++h)
          for (int64_t w = 0; w < W; ++w) dx[index(n, c, h, w, false)] += r.grad->data()[index(n, c, h, w, true)];
  });
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t w = 0; w < W; ++w) y.data()[index(n, c, h, w, true)] = x.data()[index(n, c, h, w, false)];
  return y;
}

Tensor global_avg_pool(const Tensor& x) {
  if (x.rank() < 3) throw std::invalid_argument("global_avg_pool: input must be [batch, channels, ...], got " + x.shape().str());
  const int64_t N = x.dim(0), C = x.dim(1), S = x.numel() / (N * C);
  Tensor y = make_op_result(Shape{N, C}, {&x}, [N, C, S](TensorImpl& r, int threads) {
    float* dx = r.inputs[0]->grad_if_needed(threads);
    if (!dx) return;
    for (int64_t i = 0; i < N * C; ++i)
      for (int64_t k = 0; k < S; ++k) dx[i * S + k] += r.grad->data()[i] / static_cast<float>(S);
  });
  for (int64_t i = 0; i < N * C; ++i) {
    double sum = 0;
    for (int64_t k = 0; k < S; ++k) sum += x.data()[i * S + k];
    y.data()[i] = static_cast<float>(sum / static_cast<double>(S));
  }
  return y;
}

Tensor stats_pool(const Tensor& x, float eps, int threads) {
  require_sequence(x, "stats_pool");
  const SequencePoolShape s{x.dim(0), x.dim(1), x.dim(2), 1};
  auto out = Buffer::uninitialized(s.batch * 2 * s.features);
  Tensor y = make_op_result(Shape{s.batch, 2 * s.features}, {&x}, [s, out](TensorImpl& r, int threads) {
    if (float* dx = r.inputs[0]->grad_if_needed(threads))
      stats_pool_backward(r.inputs[0]->data->data(), out->data(), r.grad->data(), dx, s, threads);
  }, out);
  stats_pool_forward(x.data(), y.data(), s, eps, threads);
  return y;
}

Tensor attention_pool(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& v, int threads,
                      StepShards* shards) {
  require_sequence(x, "attention_pool");
  const SequencePoolShape s{x.dim(0), x.dim(1), x.dim(2), v.numel()};
  if (w.shape() != Shape{s.units, s.features} || b.shape() != Shape{s.units} || v.shape() != Shape{s.units})
    throw std::invalid_argument("attention_pool: weights " + w.shape().str() + ", " + b.shape().str() + ", " +
                                v.shape().str() + " do not fit input " + x.shape().str() +
                                " (expected [U, F], [U], [U])");
  struct Saved {
    std::vector<float> a, alpha;
  };
  auto saved = std::make_shared<Saved>();
  saved->a.resize(static_cast<size_t>(s.batch * s.steps * s.units));
  saved->alpha.resize(static_cast<size_t>(s.batch * s.steps));
  Tensor y = make_op_result(Shape{s.batch, s.features}, {&x, &w, &b, &v}, [s, saved, shards](TensorImpl& r, int threads) {
    float* dx = r.inputs[0]->grad_if_needed(threads);
    const int64_t T = s.steps, F = s.features, U = s.units;
    for (const ShardRows& part : shard_rows(shards, s.batch)) {
      SequencePoolShape rows = s;
      rows.batch = part.end - part.begin;
      const int64_t n = part.begin;
      auto grad = [&](int k) { return op_detail::shard_grad(shards, part.shard, *r.inputs[k], threads); };
      attention_pool_backward(op_detail::row_at(r.inputs[0]->data->data(), n, T * F), r.inputs[1]->data->data(),
                              r.inputs[3]->data->data(), op_detail::row_at(saved->a.data(), n, T * U),
                              op_detail::row_at(saved->alpha.data(), n, T), op_detail::row_at(r.grad->data(), n, F),
                              op_detail::row_at(dx, n, T * F), grad(1), grad(2), grad(3), rows, threads);
    }
  });
  attention_pool_forward(x.data(), w.data(), b.data(), v.data(), y.data(), saved->a.data(), saved->alpha.data(), s,
                         threads);
  return y;
}

}  // namespace ser::nn
