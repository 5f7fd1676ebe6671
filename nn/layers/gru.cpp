#include "nn/layers/gru.hpp"

#include "nn/init.hpp"
#include "nn/ops.hpp"

namespace ser::nn {

Gru::Gru(LayerSpec spec) : Layer(std::move(spec)) {
  spec_.check_known({"units", "return_sequences", "kernel_initializer", "recurrent_initializer"});
  units_ = spec_.integer("units");
  if (units_ < 1) spec_.fail("units must be >= 1");
  return_sequences_ = spec_.flag("return_sequences", false);
}

Shape Gru::setup(const Shape& input, Rng& rng) {
  if (input.rank() != 2) spec_.fail("expects input [steps, features], got " + input.str());
  const int64_t H = units_, F = input[1];
  w_ih_ = new_state(Shape{3 * H, F}, true);
  w_hh_ = new_state(Shape{3 * H, H}, true);
  b_ih_ = new_state(Shape{3 * H}, true);  // zeros, as Keras
  b_hh_ = new_state(Shape{3 * H}, true);
  try {
    // Keras's fans for the stacked [F, 3H] kernel.
    initialize(w_ih_, parse_init(spec_.text("kernel_initializer", "glorot_uniform")), F, 3 * H, rng);
    initialize(w_hh_, parse_init(spec_.text("recurrent_initializer", "orthogonal")), H, 3 * H, rng);
  } catch (const std::invalid_argument& e) {
    spec_.fail(e.what());
  }
  return return_sequences_ ? Shape{input[0], H} : Shape{H};
}

Tensor Gru::forward(const Tensor& x, ForwardContext& ctx) {
  return gru(x, use(w_ih_, ctx), use(w_hh_, ctx), use(b_ih_, ctx), use(b_hh_, ctx), return_sequences_, ctx.threads);
}

}  // namespace ser::nn
