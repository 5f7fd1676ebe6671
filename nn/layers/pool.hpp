#pragma once
#include "nn/layers/layer.hpp"
#include "nn/ops.hpp"

namespace ser::nn {

// maxpool1d / avgpool1d (pool=2, stride=pool, padding=valid|same) on [channels, length];
// maxpool2d / avgpool2d with pool and stride as N or HxW on [channels, height, width].
// The stride defaults to the pool size, as in Keras.
class Pool : public Layer {
 public:
  Pool(LayerSpec spec, bool max, int dims);
  std::string kind() const override;
  Shape setup(const Shape& input, Rng& rng) override;
  Tensor forward(const Tensor& x, ForwardContext& ctx) override;
  bool is_max() const { return max_; }
  int dims() const { return dims_; }
  const PoolOptions& options() const { return options_; }

 private:
  bool max_;
  int dims_;
  PoolOptions options_;
};

}  // namespace ser::nn
