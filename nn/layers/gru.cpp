#include "nn/layers/gru.hpp"

#include "nn/init.hpp"
#include "nn/layers/bidirectional.hpp"
#include "nn/ops.hpp"

namespace ser::nn {

Gru::Gru(LayerSpec spec) : Layer(std::move(spec)) {
  spec_.check_known({"units", "return_sequences", "bidirectional", "kernel_initializer", "recurrent_initializer"});
  units_ = spec_.integer("units");
  if (units_ < 1) spec_.fail("units must be >= 1");
  return_sequences_ = spec_.flag("return_sequences", false);
  bidirectional_ = spec_.flag("bidirectional", false);
}

Gru::Direction Gru::make_direction(int64_t F, Rng& rng) {
  const int64_t H = units_;
  Direction d{new_state(Shape{3 * H, F}, true), new_state(Shape{3 * H, H}, true), new_state(Shape{3 * H}, true),
              new_state(Shape{3 * H}, true)};  // biases zero, as Keras
  try {
    // Keras's fans for the stacked [F, 3H] kernel.
    initialize(d.w_ih, parse_init(spec_.text("kernel_initializer", "glorot_uniform")), F, 3 * H, rng);
    initialize(d.w_hh, parse_init(spec_.text("recurrent_initializer", "orthogonal")), H, 3 * H, rng);
  } catch (const std::invalid_argument& e) {
    spec_.fail(e.what());
  }
  return d;
}

Shape Gru::setup(const Shape& input, Rng& rng) {
  if (input.rank() != 2) spec_.fail("expects input [steps, features], got " + input.str());
  const Direction forward = make_direction(input[1], rng);
  w_ih_ = forward.w_ih, w_hh_ = forward.w_hh, b_ih_ = forward.b_ih, b_hh_ = forward.b_hh;
  if (bidirectional_) reverse_ = make_direction(input[1], rng);
  const int64_t out = bidirectional_ ? 2 * units_ : units_;
  return return_sequences_ ? Shape{input[0], out} : Shape{out};
}

std::vector<NamedTensor> Gru::parameters() {
  std::vector<NamedTensor> p = {{"weight_ih", w_ih_}, {"weight_hh", w_hh_}, {"bias_ih", b_ih_}, {"bias_hh", b_hh_}};
  if (bidirectional_)
    p.insert(p.end(), {{"weight_ih_reverse", reverse_.w_ih},
                       {"weight_hh_reverse", reverse_.w_hh},
                       {"bias_ih_reverse", reverse_.b_ih},
                       {"bias_hh_reverse", reverse_.b_hh}});
  return p;
}

Tensor Gru::forward(const Tensor& x, ForwardContext& ctx) {
  if (!bidirectional_)
    return gru(x, use(w_ih_, ctx), use(w_hh_, ctx), use(b_ih_, ctx), use(b_hh_, ctx), return_sequences_, ctx.threads, ctx.shards);
  return nn::bidirectional(x, return_sequences_, [&](const Tensor& in, bool reverse) {
    if (reverse)
      return gru(in, use(reverse_.w_ih, ctx), use(reverse_.w_hh, ctx), use(reverse_.b_ih, ctx), use(reverse_.b_hh, ctx),
                 true, ctx.threads, ctx.shards);
    return gru(in, use(w_ih_, ctx), use(w_hh_, ctx), use(b_ih_, ctx), use(b_hh_, ctx), true, ctx.threads, ctx.shards);
  });
}

}  // namespace ser::nn
