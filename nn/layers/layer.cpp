#include "nn/layers/layer.hpp"

#include "nn/ops.hpp"

namespace ser::nn {

Activation parse_activation(const LayerSpec& spec) {
  const std::string a = spec.text("activation", "none");
  if (a == "none" || a == "linear") return Activation::none;
  if (a == "relu") return Activation::relu;
  if (a == "tanh") return Activation::tanh;
  if (a == "sigmoid") return Activation::sigmoid;
  if (a == "softmax") return Activation::softmax;
  spec.fail("unknown activation '" + a + "' (none, relu, tanh, sigmoid, softmax)");
}

Tensor apply(Activation a, const Tensor& x) {
  switch (a) {
    case Activation::none:
      return x;
    case Activation::relu:
      return relu(x);
    case Activation::tanh:
      return tanh(x);
    case Activation::sigmoid:
      return sigmoid(x);
    case Activation::softmax:
      return softmax(x);
  }
  return x;
}

Tensor Layer::new_state(const Shape& shape, bool trainable, float fill) {
  const int64_t n = shape.numel();
  if (budget_) {
    if (n > budget_->left)
      spec_.fail("a tensor of shape " + shape.str() + " (" + std::to_string(n) + " values) exceeds " + budget_->why);
    budget_->left -= n;
  }
  Tensor t = fill == 0.0f ? Tensor::zeros(shape) : Tensor::full(shape, fill);
  if (trainable) t.set_requires_grad(true);
  return t;
}

std::vector<NamedTensor> Layer::weight_and_bias(const Tensor& weight, const Tensor& bias) {
  if (bias.defined()) return {{"weight", weight}, {"bias", bias}};
  return {{"weight", weight}};
}

Tensor Layer::l2_penalty(const Tensor& kernel, double l2, const ForwardContext& ctx) {
  return l2 > 0 ? scale(sum_squares(use(kernel, ctx)), static_cast<float>(l2)) : Tensor();
}

}  // namespace ser::nn
