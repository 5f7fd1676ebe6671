#include "nn/layers/sequence_pool.hpp"

#include "nn/init.hpp"
#include "nn/ops.hpp"

namespace ser::nn {

StatsPool::StatsPool(LayerSpec spec) : Layer(std::move(spec)) {
  spec_.check_known({"epsilon"});
  eps_ = static_cast<float>(spec_.number("epsilon", 1e-5));
  if (!(eps_ > 0)) spec_.fail("epsilon must be > 0 (it keeps the gradient of a constant feature finite)");
}

Shape StatsPool::setup(const Shape& input, Rng&) {
  if (input.rank() != 2) spec_.fail("expects input [steps, features], got " + input.str());
  return Shape{2 * input[1]};
}

Tensor StatsPool::forward(const Tensor& x, ForwardContext& ctx) { return stats_pool(x, eps_, ctx.threads); }

AttentionPool::AttentionPool(LayerSpec spec) : Layer(std::move(spec)) {
  spec_.check_known({"units"});
  units_ = spec_.integer("units", 64);
  if (units_ < 1) spec_.fail("units must be >= 1");
}

Shape AttentionPool::setup(const Shape& input, Rng& rng) {
  if (input.rank() != 2) spec_.fail("expects input [steps, features], got " + input.str());
  const int64_t F = input[1];
  w_ = new_state(Shape{units_, F}, true);
  b_ = new_state(Shape{units_}, true);
  v_ = new_state(Shape{units_}, true);
  initialize(w_, Init::glorot_uniform, F, units_, rng);
  initialize(v_, Init::glorot_uniform, units_, 1, rng);
  return Shape{F};
}

Tensor AttentionPool::forward(const Tensor& x, ForwardContext& ctx) {
  return attention_pool(x, use(w_, ctx), use(b_, ctx), use(v_, ctx), ctx.threads, ctx.shards);
}

GlobalAvgPool::GlobalAvgPool(LayerSpec spec) : Layer(std::move(spec)) { spec_.check_known({}); }

Shape GlobalAvgPool::setup(const Shape& input, Rng&) {
  if (input.rank() < 2) spec_.fail("expects input [channels, ...], got " + input.str());
  return Shape{input[0]};
}

Tensor GlobalAvgPool::forward(const Tensor& x, ForwardContext&) { return global_avg_pool(x); }

ToSequence::ToSequence(LayerSpec spec) : Layer(std::move(spec)) { spec_.check_known({}); }

Shape ToSequence::setup(const Shape& input, Rng&) {
  if (input.rank() != 3) spec_.fail("expects a feature map [channels, height, width], got " + input.str());
  return Shape{input[2], input[0] * input[1]};
}

Tensor ToSequence::forward(const Tensor& x, ForwardContext&) { return to_sequence(x); }

}  // namespace ser::nn
