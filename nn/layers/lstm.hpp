#pragma once
#include "nn/layers/layer.hpp"

namespace ser::nn {

// lstm(units, return_sequences=false, bidirectional=false,
//      kernel_initializer=glorot_uniform, recurrent_initializer=orthogonal,
//      unit_forget_bias=true)
// Input [steps, features] per sample; output [steps, units] or [units]
// (bidirectional: twice the units, as the GRU layer).
// Gate order i, f, g (cell candidate), o, as PyTorch and Keras. One bias of
// 4*units (Keras's parameter count); a PyTorch checkpoint's b_ih + b_hh
// loads into it. Keras's defaults: the forget gate's bias starts at 1.
class Lstm : public Layer {
 public:
  explicit Lstm(LayerSpec spec);
  std::string kind() const override { return "LSTM"; }
  Shape setup(const Shape& input, Rng& rng) override;
  Tensor forward(const Tensor& x, ForwardContext& ctx) override;
  int64_t units() const { return units_; }
  bool return_sequences() const { return return_sequences_; }
  bool bidirectional() const { return bidirectional_; }
  LayerMacs macs(const Shape& input, const Shape& /*output*/) const override {
    // Input products at every step, recurrent ones from the second on; the
    // backward pass repeats the recurrent ones for dh (needed even without dx).
    const int64_t steps = input[0], in = w_ih_.numel() * steps, rec = w_hh_.numel() * (steps - 1);
    const int64_t d = bidirectional_ ? 2 : 1;
    return {d * (in + rec), d * (in + 2 * rec), d * in};
  }
  std::vector<NamedTensor> parameters() override;

 private:
  struct Direction {
    Tensor w_ih, w_hh, bias;
  };
  Direction make_direction(int64_t features, Rng& rng);
  int64_t units_;
  bool return_sequences_, bidirectional_;
  Tensor w_ih_, w_hh_, bias_;
  Direction reverse_;
};

}  // namespace ser::nn
