#pragma once
#include "nn/layers/layer.hpp"

namespace ser::nn {

// gru(units, return_sequences=false, kernel_initializer=glorot_uniform,
//     recurrent_initializer=orthogonal)
// Input [steps, features] per sample; output [steps, units] or [units].
// PyTorch's GRU, which is Keras' with reset_after=True (its default): gate
// order r, z, n, two biases of 3*units each (Keras keeps them as one [2, 3*units]).
class Gru : public Layer {
 public:
  explicit Gru(LayerSpec spec);
  std::string kind() const override { return "GRU"; }
  Shape setup(const Shape& input, Rng& rng) override;
  Tensor forward(const Tensor& x, ForwardContext& ctx) override;
  LayerMacs macs(const Shape& input, const Shape& /*output*/) const override {
    const int64_t steps = input[0], in = w_ih_.numel() * steps, rec = w_hh_.numel() * (steps - 1);
    return {in + rec, in + 2 * rec, in};
  }
  std::vector<NamedTensor> parameters() override {
    return {{"weight_ih", w_ih_}, {"weight_hh", w_hh_}, {"bias_ih", b_ih_}, {"bias_hh", b_hh_}};
  }

 private:
  int64_t units_;
  bool return_sequences_;
  Tensor w_ih_, w_hh_, b_ih_, b_hh_;
};

}  // namespace ser::nn
