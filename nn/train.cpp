#include "nn/train.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "nn/ops.hpp"

namespace ser::nn {

namespace {
// The step's cross-entropy of rows [first, first + logits' rows) of the
// batch; with mixup the blend of both labels' losses.
Tensor step_loss(const Tensor& logits, std::span<const int32_t> targets, int64_t first, const StepOptions& o) {
  const auto rows = static_cast<size_t>(logits.dim(0));
  const auto mine = targets.subspan(static_cast<size_t>(first), rows);
  Tensor loss = softmax_cross_entropy(logits, mine, o.class_weights, o.label_smoothing, o.shards);
  if (o.mix_partner.empty()) return loss;
  if (o.mix_partner.size() != targets.size())
    throw std::invalid_argument("mixup: " + std::to_string(o.mix_partner.size()) + " partners for " +
                                std::to_string(targets.size()) + " rows");
  std::vector<int32_t> other;
  for (size_t i = 0; i < rows; ++i) other.push_back(targets[static_cast<size_t>(o.mix_partner[first + i])]);
  const Tensor loss_b = softmax_cross_entropy(logits, other, o.class_weights, o.label_smoothing, o.shards);
  return add(scale(loss, o.mix_weight), scale(loss_b, 1.0f - o.mix_weight));
}

// Rows [first, first + n) of x as a tensor of their own.
Tensor rows_of(const Tensor& x, int64_t first, int64_t n) {
  if (first == 0 && n == x.dim(0)) return x;
  const int64_t per_row = x.numel() / std::max<int64_t>(1, x.dim(0));
  Tensor out = Tensor::zeros(x.shape().drop_front().prepend(n));
  std::memcpy(out.data(), x.data() + first * per_row, static_cast<size_t>(n * per_row) * sizeof(float));
  return out;
}
}  // namespace

StepResult train_step(Sequential& model, Optimizer& opt, const Tensor& x, std::span<const int32_t> targets, Rng& rng,
                      int threads, const StepOptions& options) {
  StepShards* shards = options.shards;
  if (shards) shards->start(x.dim(0));
  const int64_t first = shards ? shards->local_begin() : 0, rows = shards ? shards->local_rows() : x.dim(0);
  ForwardContext ctx;
  ctx.training = true;
  ctx.rng = &rng;
  ctx.threads = threads;
  ctx.shards = shards;
  opt.zero_grad();
  const Tensor logits = model.forward(rows_of(x, first, rows), ctx);
  Tensor loss = step_loss(logits, targets, first, options);
  // The penalty is every rank's alike: its gradient joins the folded one once.
  if (Tensor penalty = model.regularization(ctx); penalty.defined()) loss = add(loss, penalty);
  StepResult r;
  r.loss = loss.item();  // the whole batch's (folded over the shards)
  const auto predicted = argmax_rows(logits);
  for (size_t i = 0; i < predicted.size(); ++i) r.correct += predicted[i] == targets[static_cast<size_t>(first) + i];
  if (shards) r.correct = shards->comm().sum(r.correct);
  loss.backward(threads);
  if (shards) shards->reduce_gradients(model.parameter_tensors());
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
