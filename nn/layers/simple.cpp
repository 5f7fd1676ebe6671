#include "nn/layers/simple.hpp"

#include <charconv>

#include "nn/ops.hpp"

namespace ser::nn {

Dropout::Dropout(LayerSpec spec) : Layer(std::move(spec)) {
  spec_.check_known({"rate"});
  rate_ = static_cast<float>(spec_.number("rate", 0.5));
  if (!(rate_ >= 0.0f && rate_ < 1.0f)) spec_.fail("rate must be in [0, 1)");
}

Tensor Dropout::forward(const Tensor& x, ForwardContext& ctx) {
  if (!ctx.training || rate_ == 0.0f) return x;
  if (!ctx.rng) spec_.fail("training with dropout needs a random number generator in the forward context");
  return dropout(x, rate_, *ctx.rng, ctx.threads, ctx.shards);
}

Reshape::Reshape(LayerSpec spec, bool flatten) : Layer(std::move(spec)), flatten_(flatten) {
  if (flatten_) {
    spec_.check_known({});
    return;
  }
  spec_.check_known({"shape"});
  const std::string text = spec_.text("shape");
  std::vector<int64_t> dims;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find_first_of("x,", start), text.size());
    int64_t d = 0;
    auto [p, ec] = std::from_chars(text.data() + start, text.data() + end, d);
    if (ec != std::errc() || p != text.data() + end || d < 1)
      spec_.fail("shape must look like 1x2400 (positive sizes), got '" + text + "'");
    dims.push_back(d);
    start = end + 1;
  }
  if (dims.size() > static_cast<size_t>(kMaxRank - 1)) spec_.fail("shape has too many dimensions");
  target_ = Shape(std::span<const int64_t>(dims));
}

Shape Reshape::setup(const Shape& input, Rng&) {
  if (flatten_) {
    target_ = Shape{input.numel()};
  } else if (target_.numel() != input.numel()) {
    spec_.fail("cannot reshape " + input.str() + " (" + std::to_string(input.numel()) + " values) to " + target_.str() +
               " (" + std::to_string(target_.numel()) + ")");
  }
  return target_;
}

Tensor Reshape::forward(const Tensor& x, ForwardContext&) { return x.reshape(target_.prepend(x.dim(0))); }

ActivationLayer::ActivationLayer(LayerSpec spec, Activation a) : Layer(std::move(spec)), activation_(a) {
  spec_.check_known({});
}

std::string ActivationLayer::kind() const {
  switch (activation_) {
    case Activation::relu:
      return "ReLU";
    case Activation::tanh:
      return "Tanh";
    case Activation::sigmoid:
      return "Sigmoid";
    case Activation::softmax:
      return "Softmax";
    case Activation::none:
      break;
  }
  return "Activation";
}

Add::Add(LayerSpec spec) : Layer(std::move(spec)) {
  spec_.check_known({"from"});
  from_ = spec_.text("from");
}

Tensor Add::forward(const Tensor&, ForwardContext&) {
  spec_.fail("an add layer runs inside a model, which hands it the output named '" + from_ + "'");
}

Tensor Add::forward_with(const Tensor& x, const Tensor& skip) const { return add(x, skip); }

}  // namespace ser::nn
