#pragma once
#include "nn/layers/layer.hpp"

namespace ser::nn {

// gru(units, return_sequences=false, bidirectional=false,
//     kernel_initializer=glorot_uniform, recurrent_initializer=orthogonal)
// Input [steps, features] per sample; output [steps, units] or [units];
// bidirectional: a second GRU reads the steps backwards and the two are
// joined per step ([steps, 2 * units]) or as [last forward, last backward]
// ([2 * units]), as PyTorch's bidirectional GRU and Keras' Bidirectional.
// PyTorch's GRU, which is Keras' with reset_after=True (its default): gate
// order r, z, n, two biases of 3*units each (Keras keeps them as one [2, 3*units]).
class Gru : public Layer {
 public:
  explicit Gru(LayerSpec spec);
  std::string kind() const override { return "GRU"; }
  Shape setup(const Shape& input, Rng& rng) override;
  Tensor forward(const Tensor& x, ForwardContext& ctx) override;
  int64_t units() const { return units_; }
  bool return_sequences() const { return return_sequences_; }
  bool bidirectional() const { return bidirectional_; }
  LayerMacs macs(const Shape& input, const Shape& /*output*/) const override {
    const int64_t steps = input[0], in = w_ih_.numel() * steps, rec = w_hh_.numel() * (steps - 1);
    const int64_t d = bidirectional_ ? 2 : 1;
    return {d * (in + rec), d * (in + 2 * rec), d * in};
  }
  std::vector<NamedTensor> parameters() override;

 private:
  struct Direction {
    Tensor w_ih, w_hh, b_ih, b_hh;
  };
  Direction make_direction(int64_t features, Rng& rng);
  int64_t units_;
  bool return_sequences_, bidirectional_;
  Tensor w_ih_, w_hh_, b_ih_, b_hh_;
  Direction reverse_;
};

}  // namespace ser::nn
