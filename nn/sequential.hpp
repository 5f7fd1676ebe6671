#pragma once
// Sequential: a model built from a list of layer descriptions (a chain, with
// residual connections: any layer may be named, `name: block1`, and an
// `add` layer further on adds that layer's output, `from: block1`), with shape
// inference at build time (a shape that cannot work fails before any data is
// touched, naming the layer), a Keras-style summary, and the metadata a model
// file carries (label names, feature settings).

#include <memory>
#include <string>
#include <vector>

#include "nn/layers/layer.hpp"

namespace ser::nn {

// The largest models ser builds: beyond these a config or a model file is
// refused while the model is built, before anything is allocated.
inline constexpr int64_t kMaxModelValues = int64_t{1} << 28;   // parameters and buffers: 1 GiB of float32
inline constexpr int64_t kMaxSampleValues = int64_t{1} << 28;  // one sample's input or one layer's output
StateBudget default_state_budget();

class Sequential {
 public:
  // Builds and initialises every layer for a per-sample input shape (no batch
  // dimension) from `rng`: the same seed gives the same weights. The layers'
  // parameters and buffers together may hold at most `budget.left` values.
  Sequential(const std::vector<LayerSpec>& specs, const Shape& input_shape, Rng& rng, std::string name = "sequential",
             StateBudget budget = default_state_budget());

  Tensor forward(const Tensor& x, ForwardContext& ctx);
  // Inference: batch statistics frozen, no dropout, no graph.
  Tensor predict(const Tensor& x, int threads);
  // Sum of the layers' L2 penalties, or an undefined tensor when there are none.
  Tensor regularization(const ForwardContext& ctx);

  // Trainable tensors named "<layer>.<param>", for example "conv1d_1.weight".
  std::vector<NamedTensor> parameters();
  std::vector<Tensor> parameter_tensors();
  // Parameters and buffers: everything a model file stores.
  std::vector<NamedTensor> state();
  int64_t trainable_count();
  int64_t non_trainable_count();

  // Keras-style table: layer (type), output shape, parameter count, totals.
  std::string summary();

  const std::string& name() const { return name_; }
  const Shape& input_shape() const { return input_shape_; }
  const Shape& output_shape() const { return shapes_.back(); }
  const std::vector<Shape>& layer_output_shapes() const { return shapes_; }
  const std::vector<std::string>& layer_names() const { return names_; }
  // Multiply-adds per sample (see LayerMacs): of a forward pass, or of a
  // training step's forward and backward passes.
  int64_t forward_macs() const;
  int64_t training_macs() const;
  size_t size() const { return layers_.size(); }
  Layer& layer(size_t i) { return *layers_[i]; }
  std::vector<LayerSpec> specs() const;

  std::vector<std::string> labels;  // class names, index = class id
  std::string feature_settings;     // opaque text the data side writes (experiments' ModelInput: JSON)

 private:
  std::string name_;
  Shape input_shape_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<std::string> names_;
  std::vector<Shape> shapes_;
  // Residual connections: for each layer, the layer whose output an add
  // layer takes (kNoSkip: not an add layer; -1: the model's input), and
  // whether a layer's output is taken by one further on.
  static constexpr int kNoSkip = -2;
  std::vector<int> skip_from_;
  std::vector<bool> kept_;
  void connect(size_t i, const LayerSpec& spec, const Shape& input);
};

// "1,234,567"
std::string with_thousands(int64_t n);

}  // namespace ser::nn
