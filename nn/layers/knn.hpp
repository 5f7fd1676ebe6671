#pragma once
#include "nn/layers/layer.hpp"

namespace ser::nn {

// knn(k=5, rows, classes): k nearest neighbours, scikit-learn's
// KNeighborsClassifier(n_neighbors=k) with uniform weights and Euclidean
// distance, as a layer. Its buffers are the training rows it remembers
// (`memory`, rows x features) and their classes (`labels`); `ser train`
// with model.kind knn fills them. The output is the log of each class's
// share of the k votes (floored at 1e-7), so the softmax every caller
// applies gives back the shares, scikit-learn's predict_proba. Ties of
// votes go to the lower class index, as scikit-learn's; ties of distance to
// the row remembered first. Not differentiable: it is fitted, not trained.
class Knn : public Layer {
 public:
  explicit Knn(LayerSpec spec);
  std::string kind() const override { return "KNeighbors"; }
  Shape setup(const Shape& input, Rng& rng) override;
  Tensor forward(const Tensor& x, ForwardContext& ctx) override;
  std::vector<NamedTensor> buffers() override { return {{"memory", memory_}, {"labels", labels_}}; }
  LayerMacs macs(const Shape& input, const Shape&) const override { return {rows_ * input.numel(), 0, 0}; }

 private:
  int64_t k_, rows_, classes_;
  Tensor memory_, labels_;
};

}  // namespace ser::nn
