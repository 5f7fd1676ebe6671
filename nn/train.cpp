#include "nn/train.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "nn/ops.hpp"

namespace ser::nn {

namespace {
// The step's cross-entropy; with mixup the blend of both labels' losses.
Tensor step_loss(const Tensor& logits, std::span<const int32_t> targets, const StepOptions& o) {
  Tensor loss = softmax_cross_entropy(logits, targets, o.class_weights, o.label_smoothing);
  if (o.mix_partner.empty()) return loss;
  if (o.mix_partner.size() != targets.size())
    throw std::invalid_argument("mixup: " + std::to_string(o.mix_partner.size()) + " partners for " +
                                std::to_string(targets.size()) + " rows");
  std::vector<int32_t> other;
  for (int64_t j : o.mix_partner) other.push_back(targets[static_cast<size_t>(j)]);
  const Tensor loss_b = softmax_cross_entropy(logits, other, o.class_weights, o.label_smoothing);
  return add(scale(loss, o.mix_weight), scale(loss_b, 1.0f - o.mix_weight));
}
}  // namespace

StepResult train_step(Sequential& model, Optimizer& opt, const Tensor& x, std::span<const int32_t> targets, Rng& rng,
                      int threads, const StepOptions& options) {
  ForwardContext ctx;
  ctx.training = true;
  ctx.rng = &rng;
  ctx.threads = threads;
  opt.zero_grad();
  const Tensor logits = model.forward(x, ctx);
  Tensor loss = step_loss(logits, targets, options);
  if (Tensor penalty = model.regularization(ctx); penalty.defined()) loss = add(loss, penalty);
  StepResult r;
  r.loss = loss.item();
  const auto predicted = argmax_rows(logits);
  for (size_t i = 0; i < predicted.size(); ++i) r.correct += predicted[i] == targets[i];
  loss.backward(threads);
  if (options.clip_norm > 0) clip_grad_norm(model.parameter_tensors(), options.clip_norm);
  opt.step(threads);
  return r;
}

std::vector<int32_t> argmax_rows(const Tensor& scores) {
  const int64_t rows = scores.dim(0), cols = scores.numel() / rows;
  std::vector<int32_t> out(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = scores.data() + r * cols;
    out[static_cast<size_t>(r)] = static_cast<int32_t>(std::max_element(row, row + cols) - row);
  }
  return out;
}

Tensor gather_rows(std::span<const float> data, const Shape& sample_shape, std::span<const int64_t> rows) {
  const int64_t n = sample_shape.numel();
  Tensor out = Tensor::zeros(sample_shape.prepend(static_cast<int64_t>(rows.size())));
  for (size_t i = 0; i < rows.size(); ++i)
    std::memcpy(out.data() + static_cast<int64_t>(i) * n, data.data() + rows[i] * n,
                static_cast<size_t>(n) * sizeof(float));
  return out;
}

}  // namespace ser::nn
