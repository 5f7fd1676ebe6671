#pragma once
#include "nn/layers/layer.hpp"
#include "nn/layers/pool.hpp"
#include "nn/ops.hpp"

namespace ser::nn {

// conv1d(filters, kernel, stride=1, padding=valid|same|N, dilation=1,
//        activation=none, use_bias=true, kernel_initializer=glorot_uniform, l2=0)
// Input [channels, length] per sample; weight [filters, channels, kernel].
// conv2d: the same with kernel, stride and dilation as N or HxW, input
// [channels, height, width], weight [filters, channels, kh, kw].
class Conv : public Layer {
 public:
  Conv(LayerSpec spec, int dims);
  std::string kind() const override { return dims_ == 1 ? "Conv1D" : "Conv2D"; }
  Shape setup(const Shape& input, Rng& rng) override;
  Tensor forward(const Tensor& x, ForwardContext& ctx) override;
  LayerMacs macs(const Shape& /*input*/, const Shape& output) const override {
    const int64_t m = weight_.numel() * (output.numel() / output[0]);  // every weight at every output position
    return {m, m, m};
  }
  std::vector<NamedTensor> parameters() override;
  Tensor regularization(const ForwardContext& ctx) override;

  // This layer and the max pool after it as one op (Sequential does this
  // when ForwardContext::fuse is on): each sample pooled while its
  // convolution output is in cache, which is never stored. Needs the relu
  // activation, fused into the convolution already.
  bool fuses_with(const Pool& next) const;

  int dims() const { return dims_; }
  std::pair<int64_t, int64_t> kernel() const { return kernel_; }  // {1, k} for conv1d
  // Stride, dilation and padding; a conv1d's are the _w members, its _h ones 1 and 0.
  Conv2dOptions options() const {
    return {stride_.first, stride_.second, dilation_.first, dilation_.second, padding_, pad_.first, pad_.second};
  }
  Activation activation() const { return activation_; }
  Tensor forward_pooled(const Tensor& x, const Pool& next, ForwardContext& ctx);

 private:
  int dims_;
  int64_t filters_;
  std::pair<int64_t, int64_t> kernel_, stride_, dilation_;
  Padding padding_ = Padding::valid;
  std::pair<int64_t, int64_t> pad_{0, 0};
  Activation activation_;
  bool use_bias_;
  double l2_;
  Tensor weight_, bias_;
};

}  // namespace ser::nn
