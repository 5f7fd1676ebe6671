#include "nn/layers/dense.hpp"

#include "nn/init.hpp"
#include "nn/ops.hpp"

namespace ser::nn {

Dense::Dense(LayerSpec spec) : Layer(std::move(spec)) {
  spec_.check_known({"units", "activation", "use_bias", "kernel_initializer", "l2"});
  units_ = spec_.integer("units");
  if (units_ < 1) spec_.fail("units must be >= 1");
  activation_ = parse_activation(spec_);
  use_bias_ = spec_.flag("use_bias", true);
  l2_ = spec_.number("l2", 0.0);
}

Shape Dense::setup(const Shape& input, Rng& rng) {
  if (input.rank() != 1)
    spec_.fail("expects a flat input [features], got " + input.str() + " (add a flatten layer before it)");
  weight_ = new_state(Shape{units_, input[0]}, true);
  try {
    initialize(weight_, parse_init(spec_.text("kernel_initializer", "glorot_uniform")), input[0], units_, rng);
  } catch (const std::invalid_argument& e) {
    spec_.fail(e.what());
  }
  if (use_bias_) bias_ = new_state(Shape{units_}, true);
  return Shape{units_};
}

Tensor Dense::forward(const Tensor& x, ForwardContext& ctx) {
  return apply(activation_, dense(x, use(weight_, ctx), use_bias_ ? use(bias_, ctx) : Tensor(), ctx.threads, ctx.shards));
}

std::vector<NamedTensor> Dense::parameters() { return weight_and_bias(weight_, bias_); }

Tensor Dense::regularization(const ForwardContext& ctx) { return l2_penalty(weight_, l2_, ctx); }

}  // namespace ser::nn
