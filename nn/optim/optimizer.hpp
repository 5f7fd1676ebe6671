#pragma once
// Optimisers over a list of parameter tensors (handles sharing the model's
// storage). Each step() reads the accumulated gradients and updates the
// values in place; zero_grad() clears the gradients for the next batch.
//
// The update rules are PyTorch's, which is what the golden values test:
//   SGD:     v = m v + g; p -= lr (nesterov ? g + m v : v). Keras's
//            v = m v - lr g; p += v is the same while lr is constant.
//   Adam:    bias-corrected moments; p -= lr m_hat / (sqrt(v_hat) + eps).
//            Keras's default epsilon is 1e-7, PyTorch's 1e-8.
//   RMSprop: s = rho s + (1 - rho) g^2; p -= lr g / (sqrt(s) + eps).
//            Keras: rho 0.9, eps 1e-7; PyTorch: alpha 0.99, eps 1e-8.
// State is kept per parameter, so the same seed and data give the same steps.

#include <memory>
#include <string>
#include <vector>

#include "nn/tensor.hpp"

namespace ser::nn {

class Optimizer {
 public:
  explicit Optimizer(std::vector<Tensor> params, float lr);
  virtual ~Optimizer() = default;
  virtual void step(int threads) = 0;  // on up to `threads` threads
  virtual std::string name() const = 0;
  void zero_grad();
  float learning_rate() const { return lr_; }
  void set_learning_rate(float lr) { lr_ = lr; }
  const std::vector<Tensor>& params() const { return params_; }
  // Optimiser state (moments, step count) as flat arrays, for checkpoints.
  virtual std::vector<std::vector<float>*> state() = 0;

 protected:
  std::vector<Tensor> params_;
  float lr_;
};

struct SgdOptions {
  float lr = 0.01f, momentum = 0.0f;
  bool nesterov = false;
};
class Sgd : public Optimizer {
 public:
  Sgd(std::vector<Tensor> params, SgdOptions o);
  void step(int threads) override;
  std::string name() const override { return "sgd"; }
  std::vector<std::vector<float>*> state() override;

 private:
  SgdOptions o_;
  std::vector<std::vector<float>> velocity_;
};

struct AdamOptions {
  float lr = 0.001f, beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-7f;  // Keras's epsilon
};
class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, AdamOptions o);
  void step(int threads) override;
  std::string name() const override { return "adam"; }
  std::vector<std::vector<float>*> state() override;

 private:
  AdamOptions o_;
  std::vector<std::vector<float>> m_, v_;
  std::vector<float> t_{0.0f};  // step count, kept as state for checkpoints
};

struct RmsPropOptions {
  float lr = 0.001f, rho = 0.9f, epsilon = 1e-7f;  // Keras's defaults
};
class RmsProp : public Optimizer {
 public:
  RmsProp(std::vector<Tensor> params, RmsPropOptions o);
  void step(int threads) override;
  std::string name() const override { return "rmsprop"; }
  std::vector<std::vector<float>*> state() override;

 private:
  RmsPropOptions o_;
  std::vector<std::vector<float>> s_;
};

// Scales all gradients so that their joint L2 norm is at most max_norm;
// returns the norm before clipping.
float clip_grad_norm(const std::vector<Tensor>& params, float max_norm);
// Clamps every gradient element to [-limit, limit].
void clip_grad_value(const std::vector<Tensor>& params, float limit);

}  // namespace ser::nn
