#pragma once
// Layers that turn a sequence (or a feature map) into one vector per sample,
// and the one that turns a feature map into a sequence.
#include "nn/layers/layer.hpp"

namespace ser::nn {

// stats_pool(epsilon=1e-5): [steps, features] -> [2 * features], the mean
// and the standard deviation over the steps (x-vector statistics pooling).
class StatsPool : public Layer {
 public:
  explicit StatsPool(LayerSpec spec);
  std::string kind() const override { return "StatsPool"; }
  Shape setup(const Shape& input, Rng&) override;
  Tensor forward(const Tensor& x, ForwardContext& ctx) override;
  float epsilon() const { return eps_; }

 private:
  float eps_;
};

// attention_pool(units=64): [steps, features] -> [features], the steps
// weighted by softmax(v . tanh(W x_t + b)) (Mirsamadi et al. 2017).
class AttentionPool : public Layer {
 public:
  explicit AttentionPool(LayerSpec spec);
  std::string kind() const override { return "AttentionPool"; }
  Shape setup(const Shape& input, Rng& rng) override;
  Tensor forward(const Tensor& x, ForwardContext& ctx) override;
  LayerMacs macs(const Shape& input, const Shape& /*output*/) const override {
    const int64_t steps = input[0], proj = w_.numel() * steps;
    return {proj + steps * (units_ + input[1]), 2 * proj, proj};
  }
  std::vector<NamedTensor> parameters() override { return {{"weight", w_}, {"bias", b_}, {"context", v_}}; }

 private:
  int64_t units_;
  Tensor w_, b_, v_;
};

// global_avg_pool: [channels, ...] -> [channels], the mean over the rest
// (after conv1d's [C, L] or conv2d's [C, H, W]; Keras' GlobalAveragePooling).
class GlobalAvgPool : public Layer {
 public:
  explicit GlobalAvgPool(LayerSpec spec);
  std::string kind() const override { return "GlobalAvgPool"; }
  Shape setup(const Shape& input, Rng&) override;
  Tensor forward(const Tensor& x, ForwardContext&) override;
};

// to_sequence: a conv2d feature map [C, H, W] (H frequency, W time) to the
// sequence [W, C * H] a recurrent layer reads, as a CRNN does.
class ToSequence : public Layer {
 public:
  explicit ToSequence(LayerSpec spec);
  std::string kind() const override { return "ToSequence"; }
  Shape setup(const Shape& input, Rng&) override;
  Tensor forward(const Tensor& x, ForwardContext&) override;
};

}  // namespace ser::nn
