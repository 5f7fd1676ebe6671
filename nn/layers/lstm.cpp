#include "nn/layers/lstm.hpp"

#include "nn/init.hpp"
#include "nn/layers/bidirectional.hpp"
#include "nn/ops.hpp"

namespace ser::nn {

Lstm::Lstm(LayerSpec spec) : Layer(std::move(spec)) {
  spec_.check_known({"units", "return_sequences", "bidirectional", "kernel_initializer", "recurrent_initializer",
                     "unit_forget_bias"});
  units_ = spec_.integer("units");
  if (units_ < 1) spec_.fail("units must be >= 1");
  return_sequences_ = spec_.flag("return_sequences", false);
  bidirectional_ = spec_.flag("bidirectional", false);
}

Lstm::Direction Lstm::make_direction(int64_t F, Rng& rng) {
  const int64_t H = units_;
  Direction d{new_state(Shape{4 * H, F}, true), new_state(Shape{4 * H, H}, true), new_state(Shape{4 * H}, true)};
  try {
    // Keras's fans for the stacked [F, 4H] kernel.
    initialize(d.w_ih, parse_init(spec_.text("kernel_initializer", "glorot_uniform")), F, 4 * H, rng);
    initialize(d.w_hh, parse_init(spec_.text("recurrent_initializer", "orthogonal")), H, 4 * H, rng);
  } catch (const std::invalid_argument& e) {
    spec_.fail(e.what());
  }
  if (spec_.flag("unit_forget_bias", true))
    for (int64_t j = H; j < 2 * H; ++j) d.bias.data()[j] = 1.0f;
  return d;
}

Shape Lstm::setup(const Shape& input, Rng& rng) {
  if (input.rank() != 2) spec_.fail("expects input [steps, features], got " + input.str());
  const Direction forward = make_direction(input[1], rng);
  w_ih_ = forward.w_ih, w_hh_ = forward.w_hh, bias_ = forward.bias;
  if (bidirectional_) reverse_ = make_direction(input[1], rng);
  const int64_t out = bidirectional_ ? 2 * units_ : units_;
  return return_sequences_ ? Shape{input[0], out} : Shape{out};
}

std::vector<NamedTensor> Lstm::parameters() {
  std::vector<NamedTensor> p = {{"weight_ih", w_ih_}, {"weight_hh", w_hh_}, {"bias", bias_}};
  if (bidirectional_)
    p.insert(p.end(),
             {{"weight_ih_reverse", reverse_.w_ih}, {"weight_hh_reverse", reverse_.w_hh}, {"bias_reverse", reverse_.bias}});
  return p;
}

Tensor Lstm::forward(const Tensor& x, ForwardContext& ctx) {
  if (!bidirectional_) return lstm(x, use(w_ih_, ctx), use(w_hh_, ctx), use(bias_, ctx), return_sequences_, ctx.threads, ctx.shards);
  return nn::bidirectional(x, return_sequences_, [&](const Tensor& in, bool reverse) {
    if (reverse) return lstm(in, use(reverse_.w_ih, ctx), use(reverse_.w_hh, ctx), use(reverse_.bias, ctx), true, ctx.threads, ctx.shards);
    return lstm(in, use(w_ih_, ctx), use(w_hh_, ctx), use(bias_, ctx), true, ctx.threads, ctx.shards);
  });
}

}  // namespace ser::nn
