#pragma once
// The layer concept (after dlib): a layer is built from a LayerSpec; setup()
// checks the per-sample input shape, creates and initialises the parameters
// and returns the output shape; forward() composes differentiable ops, whose
// backward passes autograd records; parameters() and buffers() name what a
// model file stores. Adding a layer: a class here, a line in registry.cpp,
// a case in tests/test_layers.cpp.

#include <memory>
#include <string>
#include <vector>

#include "common/rng.hpp"
#include "nn/layers/layer_spec.hpp"
#include "nn/shape.hpp"
#include "nn/step_shards.hpp"
#include "nn/tensor.hpp"

namespace ser::nn {

struct ForwardContext {
  bool training = false;  // dropout active, batch norm on batch statistics
  bool record = true;     // false: inference, parameters are used detached and no graph is built
  Rng* rng = nullptr;     // dropout's randomness; required when training with dropout
  bool fuse = true;       // Sequential runs a relu convolution and the max pool after it as one op
  int threads = 1;        // the most threads the ops may use (the caller's choice: a step's, a run's)
  StepShards* shards = nullptr;  // data-parallel training: this rank's shards of the batch (nn/step_shards.hpp)
};

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

// How many parameter and buffer values the layers being built may still
// create, and why that is the limit: a model file cannot ask for more values
// than it holds bytes for, a config not for more than ser trains.
struct StateBudget {
  int64_t left = 0;
  std::string why;
};

enum class Activation { none, relu, tanh, sigmoid, softmax };
Activation parse_activation(const LayerSpec& spec);
Tensor apply(Activation a, const Tensor& x);

// Multiply-adds of one sample (2 FLOPs each), for the benchmarks' FLOP
// counts, as ggml's test-backend-ops gives each op one: the forward pass;
// the backward products every training step needs (weight gradients, an
// LSTM's recurrence); the input gradient, which the first layer skips (a
// model's input needs none). Pools, activations and the optimiser do no
// products and count none.
struct LayerMacs {
  int64_t forward = 0, backward = 0, backward_input = 0;
};

class Layer {
 public:
  explicit Layer(LayerSpec spec) : spec_(std::move(spec)) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  // Keras-style class name for summaries: "Conv1D", "Dense".
  virtual std::string kind() const = 0;
  // `input` has no batch dimension. Throws LayerError when it cannot work.
  virtual Shape setup(const Shape& input, Rng& rng) = 0;
  // `x` has the batch dimension first.
  virtual Tensor forward(const Tensor& x, ForwardContext& ctx) = 0;
  virtual std::vector<NamedTensor> parameters() { return {}; }  // trainable
  virtual std::vector<NamedTensor> buffers() { return {}; }     // saved, not trained
  // L2 penalty lambda * sum(w^2) of the kernels with an `l2` argument, or undefined.
  virtual Tensor regularization(const ForwardContext&) { return {}; }
  // `input` and `output` as setup() saw and gave them (no batch dimension).
  virtual LayerMacs macs(const Shape& /*input*/, const Shape& /*output*/) const { return {}; }

  const LayerSpec& spec() const { return spec_; }
  LayerSpec& spec() { return spec_; }
  // While set, new_state() draws from it (Sequential sets it around setup()).
  void set_budget(StateBudget* budget) { budget_ = budget; }

 protected:
  static Tensor use(const Tensor& param, const ForwardContext& ctx) { return ctx.record ? param : param.detach(); }
  // A parameter (trainable) or buffer filled with `fill`; every layer creates
  // its state here, so a budget is checked before anything is allocated.
  Tensor new_state(const Shape& shape, bool trainable, float fill = 0.0f);
  // For layers with a kernel and an optional bias (dense, convolutions).
  static std::vector<NamedTensor> weight_and_bias(const Tensor& weight, const Tensor& bias);
  // Keras's kernel_regularizer: l2 * sum(kernel^2), or undefined when l2 is 0.
  static Tensor l2_penalty(const Tensor& kernel, double l2, const ForwardContext& ctx);
  LayerSpec spec_;
  StateBudget* budget_ = nullptr;
};

// Builds the layer a spec names; throws LayerError for an unknown type or argument.
std::unique_ptr<Layer> make_layer(const LayerSpec& spec);
std::vector<std::string> layer_types();

}  // namespace ser::nn
