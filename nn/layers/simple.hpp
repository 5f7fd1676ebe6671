#pragma once
// Layers without parameters: dropout, flatten, reshape and the activations.
#include "nn/layers/layer.hpp"

namespace ser::nn {

// dropout(rate): inverted dropout while training, identity otherwise.
class Dropout : public Layer {
 public:
  explicit Dropout(LayerSpec spec);
  std::string kind() const override { return "Dropout"; }
  Shape setup(const Shape& input, Rng&) override { return input; }
  Tensor forward(const Tensor& x, ForwardContext& ctx) override;

 private:
  float rate_;
};

// flatten: [C, L] or [C, H, W] -> [C*L] in channel-major order (a view, no copy).
// reshape(shape=AxBxC): any per-sample shape of the same size.
class Reshape : public Layer {
 public:
  Reshape(LayerSpec spec, bool flatten);
  std::string kind() const override { return flatten_ ? "Flatten" : "Reshape"; }
  Shape setup(const Shape& input, Rng&) override;
  Tensor forward(const Tensor& x, ForwardContext& ctx) override;

 private:
  bool flatten_;
  Shape target_;
};

// add(from=NAME): the output of the layer named NAME (or `input`, the
// model's input) added to this layer's input: a residual connection. The
// shapes must be equal; Sequential checks them while it builds the model
// and hands the named output in (forward_with).
class Add : public Layer {
 public:
  explicit Add(LayerSpec spec);
  std::string kind() const override { return "Add"; }
  Shape setup(const Shape& input, Rng&) override { return input; }
  Tensor forward(const Tensor& x, ForwardContext& ctx) override;
  Tensor forward_with(const Tensor& x, const Tensor& skip) const;
  const std::string& from() const { return from_; }

 private:
  std::string from_;
};

// relu, tanh, sigmoid, softmax as layers of their own.
class ActivationLayer : public Layer {
 public:
  ActivationLayer(LayerSpec spec, Activation a);
  std::string kind() const override;
  Shape setup(const Shape& input, Rng&) override { return input; }
  Tensor forward(const Tensor& x, ForwardContext&) override { return apply(activation_, x); }
  Activation activation() const { return activation_; }

 private:
  Activation activation_;
};

}  // namespace ser::nn
