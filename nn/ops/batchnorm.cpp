// batch_norm_train, batch_norm_eval
#include <cmath>
#include <memory>
#include <stdexcept>
#include <vector>

#include "nn/kernels/batchnorm.hpp"
#include "nn/ops.hpp"

namespace ser::nn {

namespace {
BatchNormShape bn_shape(const Tensor& x, const Tensor& gamma, const Tensor& beta) {
  if (x.rank() < 2)
    throw std::invalid_argument("batch_norm: input must be [batch, channels, ...], got " + x.shape().str());
  BatchNormShape s{x.dim(0), x.dim(1), x.numel() / (x.dim(0) * x.dim(1))};
  if (gamma.numel() != s.channels || beta.numel() != s.channels)
    throw std::invalid_argument("batch_norm: gamma and beta must have " + std::to_string(s.channels) +
                                " values (one per channel)");
  return s;
}
}  // namespace

namespace {
// Per channel, a sum over the whole batch: `per_shard(rows, out)` sums one
// shard's rows; the shards' sums are added in shard order.
template <typename F>
std::vector<float> batch_sums(const BatchNormShape& s, int64_t width, StepShards* shards, F&& per_shard) {
  const auto parts = shard_rows(shards, s.batch);
  std::vector<float> partials(parts.size() * static_cast<size_t>(width));
  for (size_t k = 0; k < parts.size(); ++k) {
    BatchNormShape rows = s;
    rows.batch = parts[k].end - parts[k].begin;
    per_shard(parts[k].begin * s.channels * s.spatial, rows, partials.data() + static_cast<int64_t>(k) * width);
  }
  if (!shards || shards->count() == 1) return partials;
  return shards->fold(partials, width);
}
}  // namespace

namespace {
// The batch's mean, variance (biased: divided by `count`, the values per
// channel) and 1 / sqrt(var + eps) per channel, in one buffer of 3 x C.
std::shared_ptr<std::vector<float>> batch_statistics(const Tensor& x, const BatchNormShape& s, float count, float eps,
                                                     int threads, StepShards* shards) {
  const size_t C = static_cast<size_t>(s.channels);
  auto stats = std::make_shared<std::vector<float>>(3 * C);  // mean, var, invstd
  float* mean = stats->data();
  float* var = mean + C;
  float* invstd = var + C;
  const auto sums = batch_sums(s, s.channels, shards, [&](int64_t at, const BatchNormShape& rows, float* out) {
    batchnorm_channel_sums(x.data() + at, rows, out, threads);
  });
  for (size_t c = 0; c < C; ++c) mean[c] = sums[c] / count;
  const auto squares = batch_sums(s, s.channels, shards, [&](int64_t at, const BatchNormShape& rows, float* out) {
    batchnorm_centered_squares(x.data() + at, mean, rows, out, threads);
  });
  for (size_t c = 0; c < C; ++c) {
    var[c] = squares[c] / count;
    invstd[c] = 1.0f / std::sqrt(var[c] + eps);
  }
  return stats;
}

// The gradients of x, gamma and beta from the output's, r.grad, with the
// batch statistics of the forward pass.
void batch_norm_backward(TensorImpl& r, const BatchNormShape& s, const std::vector<float>& stats, float count,
                         StepShards* shards, int threads) {
  const size_t C = static_cast<size_t>(s.channels);
  const float* xd = r.inputs[0]->data->data();
  const float* dy = r.grad->data();
  const float *m = stats.data(), *inv = m + 2 * C;
  const auto g = batch_sums(s, 2 * s.channels, shards, [&](int64_t at, const BatchNormShape& rows, float* out) {
    batchnorm_grad_sums(xd + at, m, inv, dy + at, rows, out, out + C, threads);
  });
  const float *sum_dy = g.data(), *sum_dy_xhat = g.data() + C;
  // gamma's and beta's gradients are already the whole batch's (the same on every rank).
  if (float* dgamma = r.inputs[1]->grad_if_needed(threads))
    for (size_t c = 0; c < C; ++c) dgamma[c] += sum_dy_xhat[c];
  if (float* dbeta = r.inputs[2]->grad_if_needed(threads))
    for (size_t c = 0; c < C; ++c) dbeta[c] += sum_dy[c];
  bool fresh = false;
  if (float* dx = r.inputs[0]->grad_to_write(fresh))
    batchnorm_input_grad(xd, r.inputs[1]->data->data(), m, inv, dy, sum_dy, sum_dy_xhat, count, dx, s, fresh, threads);
}
}  // namespace

Tensor batch_norm_train(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& running_mean,
                        Tensor& running_var, float momentum, float eps, int threads, StepShards* shards) {
  const BatchNormShape s = bn_shape(x, gamma, beta);
  const int64_t batch = shards && shards->count() > 1 ? shards->rows() : s.batch;
  if (batch * s.spatial < 2)
    throw std::invalid_argument("batch_norm: training needs more than one value per channel, got input " +
                                x.shape().str());
  const size_t C = static_cast<size_t>(s.channels);
  const float count = static_cast<float>(batch * s.spatial);  // the whole batch's values per channel
  const auto stats = batch_statistics(x, s, count, eps, threads, shards);
  const float *mean = stats->data(), *var = mean + C, *invstd = var + C;
  Tensor y = make_op_result(x.shape(), {&x, &gamma, &beta}, [s, stats, count, shards](TensorImpl& r, int threads) {
    batch_norm_backward(r, s, *stats, count, shards, threads);
  });
  batchnorm_frozen_forward(x.data(), gamma.data(), beta.data(), mean, invstd, y.data(), s, threads);
  // The running statistics: Keras's momentum convention, the variance unbiased as PyTorch keeps it.
  for (size_t c = 0; c < C; ++c) {
    const float unbiased = var[c] * count / (count - 1.0f);
    running_mean.data()[c] = momentum * running_mean.data()[c] + (1.0f - momentum) * mean[c];
    running_var.data()[c] = momentum * running_var.data()[c] + (1.0f - momentum) * unbiased;
  }
  return y;
}

Tensor batch_norm_eval(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& running_mean,
                       const Tensor& running_var, float eps, int threads) {
  const BatchNormShape s = bn_shape(x, gamma, beta);
  const size_t C = static_cast<size_t>(s.channels);
  auto stats = std::make_shared<std::vector<float>>(2 * C);  // mean, invstd
  for (size_t c = 0; c < C; ++c) {
    (*stats)[c] = running_mean.data()[c];
    (*stats)[C + c] = 1.0f / std::sqrt(running_var.data()[c] + eps);
  }
  Tensor y = make_op_result(x.shape(), {&x, &gamma, &beta}, [s, stats, C](TensorImpl& r, int threads) {
    TensorImpl& xi = *r.inputs[0];
    batchnorm_frozen_backward(xi.data->data(), r.inputs[1]->data->data(), stats->data(), stats->data() + C,
                              r.grad->data(), xi.grad_if_needed(threads), r.inputs[1]->grad_if_needed(threads),
                              r.inputs[2]->grad_if_needed(threads), s, threads);
  });
  batchnorm_frozen_forward(x.data(), gamma.data(), beta.data(), stats->data(), stats->data() + C, y.data(), s,
                           threads);
  return y;
}

}  // namespace ser::nn
