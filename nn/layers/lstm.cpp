#include "nn/layers/lstm.hpp"

#include "nn/init.hpp"
#include "nn/ops.hpp"

namespace ser::nn {

Lstm::Lstm(LayerSpec spec) : Layer(std::move(spec)) {
  spec_.check_known({"units", "return_sequences", "kernel_initializer", "recurrent_initializer", "unit_forget_bias"});
  units_ = spec_.integer("units");
  if (units_ < 1) spec_.fail("units must be >= 1");
  return_sequences_ = spec_.flag("return_sequences", false);
}

Shape Lstm::setup(const Shape& input, Rng& rng) {
  if (input.rank() != 2) spec_.fail("expects input [steps, features], got " + input.str());
  const int64_t H = units_, F = input[1];
  w_ih_ = new_state(Shape{4 * H, F}, true);
  w_hh_ = new_state(Shape{4 * H, H}, true);
  bias_ = new_state(Shape{4 * H}, true);
  try {
    // Keras's fans for the stacked [F, 4H] kernel.
    initialize(w_ih_, parse_init(spec_.text("kernel_initializer", "glorot_uniform")), F, 4 * H, rng);
    initialize(w_hh_, parse_init(spec_.text("recurrent_initializer", "orthogonal")), H, 4 * H, rng);
  } catch (const std::invalid_argument& e) {
    spec_.fail(e.what());
  }
  if (spec_.flag("unit_forget_bias", true))
    for (int64_t j = H; j < 2 * H; ++j) bias_.data()[j] = 1.0f;
  return return_sequences_ ? Shape{input[0], H} : Shape{H};
}

Tensor Lstm::forward(const Tensor& x, ForwardContext& ctx) {
  return lstm(x, use(w_ih_, ctx), use(w_hh_, ctx), use(bias_, ctx), return_sequences_, ctx.threads);
}

}  // namespace ser::nn
