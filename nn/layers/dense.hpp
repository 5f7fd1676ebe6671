#pragma once
#include "nn/layers/layer.hpp"

namespace ser::nn {

// dense(units, activation=none, use_bias=true, kernel_initializer=glorot_uniform, l2=0)
// Input [features] per sample; weight [units, features] (PyTorch's Linear layout).
class Dense : public Layer {
 public:
  explicit Dense(LayerSpec spec);
  std::string kind() const override { return "Dense"; }
  Shape setup(const Shape& input, Rng& rng) override;
  Tensor forward(const Tensor& x, ForwardContext& ctx) override;
  Activation activation() const { return activation_; }
  LayerMacs macs(const Shape& input, const Shape& /*output*/) const override {
    const int64_t m = weight_.numel() * (input.numel() / input.back());  // every weight for every input row
    return {m, m, m};
  }
  std::vector<NamedTensor> parameters() override;
  Tensor regularization(const ForwardContext& ctx) override;

 private:
  int64_t units_;
  Activation activation_;
  bool use_bias_;
  double l2_;
  Tensor weight_, bias_;
};

}  // namespace ser::nn
