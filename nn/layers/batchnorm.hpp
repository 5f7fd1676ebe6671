#pragma once
#include "nn/layers/layer.hpp"

namespace ser::nn {

// batchnorm(momentum=0.99, epsilon=0.001): normalises each channel (axis 0 of
// the per-sample shape). Defaults and the momentum convention are Keras's:
// running = momentum * running + (1 - momentum) * batch. PyTorch's
// BatchNorm(momentum=0.1, eps=1e-5) is batchnorm(momentum=0.9, epsilon=1e-5).
// gamma and beta are trained; the running mean and variance are buffers
// (Keras's non-trainable parameters) and are used outside training.
class BatchNorm : public Layer {
 public:
  explicit BatchNorm(LayerSpec spec);
  std::string kind() const override { return "BatchNormalization"; }
  Shape setup(const Shape& input, Rng& rng) override;
  Tensor forward(const Tensor& x, ForwardContext& ctx) override;
  float epsilon() const { return eps_; }
  std::vector<NamedTensor> parameters() override { return {{"gamma", gamma_}, {"beta", beta_}}; }
  std::vector<NamedTensor> buffers() override { return {{"running_mean", mean_}, {"running_var", var_}}; }

 private:
  float momentum_, eps_;
  Tensor gamma_, beta_, mean_, var_;
};

}  // namespace ser::nn
