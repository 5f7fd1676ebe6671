#include "nn/layers/batchnorm.hpp"

#include "nn/ops.hpp"

namespace ser::nn {

BatchNorm::BatchNorm(LayerSpec spec) : Layer(std::move(spec)) {
  spec_.check_known({"momentum", "epsilon"});
  momentum_ = static_cast<float>(spec_.number("momentum", 0.99));
  eps_ = static_cast<float>(spec_.number("epsilon", 1e-3));
  if (!(momentum_ >= 0.0f && momentum_ <= 1.0f)) spec_.fail("momentum must be in [0, 1]");
  if (!(eps_ > 0.0f)) spec_.fail("epsilon must be > 0");
}

Shape BatchNorm::setup(const Shape& input, Rng&) {
  if (input.rank() < 1) spec_.fail("expects an input with a channel axis");
  const int64_t c = input[0];
  gamma_ = new_state(Shape{c}, true, 1.0f);
  beta_ = new_state(Shape{c}, true);
  mean_ = new_state(Shape{c}, false);
  var_ = new_state(Shape{c}, false, 1.0f);
  return input;
}

Tensor BatchNorm::forward(const Tensor& x, ForwardContext& ctx) {
  if (ctx.training)
    return batch_norm_train(x, use(gamma_, ctx), use(beta_, ctx), mean_, var_, momentum_, eps_, ctx.threads, ctx.shards);
  return batch_norm_eval(x, use(gamma_, ctx), use(beta_, ctx), mean_, var_, eps_, ctx.threads);
}

}  // namespace ser::nn
