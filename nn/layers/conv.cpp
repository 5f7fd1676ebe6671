#include "nn/layers/conv.hpp"

#include "nn/init.hpp"

namespace ser::nn {

Conv::Conv(LayerSpec spec, int dims) : Layer(std::move(spec)), dims_(dims) {
  spec_.check_known(
      {"filters", "kernel", "stride", "padding", "dilation", "activation", "use_bias", "kernel_initializer", "l2"});
  filters_ = spec_.integer("filters");
  if (dims_ == 1) {
    kernel_ = {1, spec_.integer("kernel")};
    stride_ = {1, spec_.integer("stride", 1)};
    dilation_ = {1, spec_.integer("dilation", 1)};
  } else {
    kernel_ = spec_.pair("kernel");
    stride_ = spec_.pair("stride", {1, 1});
    dilation_ = spec_.pair("dilation", {1, 1});
  }
  if (filters_ < 1 || kernel_.first < 1 || kernel_.second < 1 || stride_.first < 1 || stride_.second < 1 ||
      dilation_.first < 1 || dilation_.second < 1)
    spec_.fail("filters, kernel, stride and dilation must be >= 1");
  const std::string pad = spec_.text("padding", "valid");
  if (pad == "valid" || pad == "same") {
    padding_ = parse_padding(pad);
  } else {
    padding_ = Padding::explicit_pad;
    pad_ = dims_ == 1 ? std::pair<int64_t, int64_t>{0, spec_.integer("padding")} : spec_.pair("padding");
    if (pad_.first < 0 || pad_.second < 0) spec_.fail("padding must be valid, same or a count >= 0");
  }
  activation_ = parse_activation(spec_);
  // Our layout is channels-first, so a softmax over the last axis would run over positions, not channels.
  if (activation_ == Activation::softmax) spec_.fail("softmax is for dense layers, not convolutions");
  use_bias_ = spec_.flag("use_bias", true);
  l2_ = spec_.number("l2", 0.0);
}

Shape Conv::setup(const Shape& input, Rng& rng) {
  if (input.rank() != dims_ + 1)
    spec_.fail("expects input " + std::string(dims_ == 1 ? "[channels, length]" : "[channels, height, width]") +
               ", got " + input.str());
  const int64_t channels = input[0];
  const int64_t in_h = dims_ == 1 ? 1 : input[1], in_w = input.back();
  Extent eh, ew;
  try {
    eh = window_extent(in_h, kernel_.first, stride_.first, dilation_.first, padding_, pad_.first);
    ew = window_extent(in_w, kernel_.second, stride_.second, dilation_.second, padding_, pad_.second);
  } catch (const std::invalid_argument& e) {
    spec_.fail("input " + input.str() + " does not fit the kernel: " + e.what());
  }
  const int64_t receptive = kernel_.first * kernel_.second;
  weight_ = new_state(dims_ == 1 ? Shape{filters_, channels, kernel_.second}
                                 : Shape{filters_, channels, kernel_.first, kernel_.second},
                      true);
  try {
    initialize(weight_, parse_init(spec_.text("kernel_initializer", "glorot_uniform")), channels * receptive,
               filters_ * receptive, rng);
  } catch (const std::invalid_argument& e) {
    spec_.fail(e.what());
  }
  if (use_bias_) bias_ = new_state(Shape{filters_}, true);
  return dims_ == 1 ? Shape{filters_, ew.out} : Shape{filters_, eh.out, ew.out};
}

Tensor Conv::forward(const Tensor& x, ForwardContext& ctx) {
  const Tensor b = use_bias_ ? use(bias_, ctx) : Tensor();
  // ReLU, the activation of every published CNN, runs inside the convolution.
  const bool relu = activation_ == Activation::relu;
  const Activation after = relu ? Activation::none : activation_;
  if (dims_ == 1) {
    Conv1dOptions o{stride_.second, dilation_.second, padding_, pad_.second};
    return apply(after, conv1d(x, use(weight_, ctx), b, o, relu, nullptr, ctx.threads, ctx.shards));
  }
  Conv2dOptions o{stride_.first, stride_.second, dilation_.first, dilation_.second, padding_, pad_.first, pad_.second};
  return apply(after, conv2d(x, use(weight_, ctx), b, o, relu, nullptr, ctx.threads, ctx.shards));
}

bool Conv::fuses_with(const Pool& next) const {
  return activation_ == Activation::relu && next.is_max() && next.dims() == dims_;
}

Tensor Conv::forward_pooled(const Tensor& x, const Pool& next, ForwardContext& ctx) {
  const Tensor b = use_bias_ ? use(bias_, ctx) : Tensor();
  if (dims_ == 1) {
    Conv1dOptions o{stride_.second, dilation_.second, padding_, pad_.second};
    return conv1d(x, use(weight_, ctx), b, o, true, &next.options(), ctx.threads, ctx.shards);
  }
  Conv2dOptions o{stride_.first, stride_.second, dilation_.first, dilation_.second, padding_, pad_.first, pad_.second};
  return conv2d(x, use(weight_, ctx), b, o, true, &next.options(), ctx.threads, ctx.shards);
}

std::vector<NamedTensor> Conv::parameters() { return weight_and_bias(weight_, bias_); }

Tensor Conv::regularization(const ForwardContext& ctx) { return l2_penalty(weight_, l2_, ctx); }

}  // namespace ser::nn
