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

Tensor batch_norm_train(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& running_mean,
                        Tensor& running_var, float momentum, float eps) {
  const BatchNormShape s = bn_shape(x, gamma, beta);
  if (s.batch * s.spatial < 2)
    throw std::invalid_argument("batch_norm: training needs more than one value per channel, got input " +
                                x.shape().str());
  const size_t C = static_cast<size_t>(s.channels);
  auto stats = std::make_shared<std::vector<float>>(3 * C);  // mean, var, invstd
  Tensor y = make_op_result(x.shape(), {&x, &gamma, &beta}, [s, stats, C](TensorImpl& r, int threads) {
    TensorImpl& xi = *r.inputs[0];
    batchnorm_train_backward(xi.data->data(), r.inputs[1]->data->data(), stats->data(), stats->data() + 2 * C,
                             r.grad->data(), xi.grad_if_needed(threads), r.inputs[1]->grad_if_needed(threads),
                             r.inputs[2]->grad_if_needed(threads), s);
  });
  batchnorm_train_forward(x.data(), gamma.data(), beta.data(), y.data(), stats->data(), stats->data() + C,
                          stats->data() + 2 * C, eps, s);
  const float count = static_cast<float>(s.batch * s.spatial);
  for (size_t c = 0; c < C; ++c) {
    const float unbiased = (*stats)[C + c] * count / (count - 1.0f);
    running_mean.data()[c] = momentum * running_mean.data()[c] + (1.0f - momentum) * (*stats)[c];
    running_var.data()[c] = momentum * running_var.data()[c] + (1.0f - momentum) * unbiased;
  }
  return y;
}

Tensor batch_norm_eval(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& running_mean,
                       const Tensor& running_var, float eps) {
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
                              r.inputs[2]->grad_if_needed(threads), s);
  });
  batchnorm_frozen_forward(x.data(), gamma.data(), beta.data(), stats->data(), stats->data() + C, y.data(), s);
  return y;
}

}  // namespace ser::nn
