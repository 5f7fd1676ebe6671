#include "nn/layers/knn.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ser::nn {

Knn::Knn(LayerSpec spec) : Layer(std::move(spec)) {
  spec_.check_known({"k", "rows", "classes"});
  k_ = spec_.integer("k", 5);
  rows_ = spec_.integer("rows");
  classes_ = spec_.integer("classes");
  if (k_ < 1) spec_.fail("k must be >= 1");
  if (rows_ < k_) spec_.fail("rows (" + std::to_string(rows_) + ") must be at least k (" + std::to_string(k_) + ")");
  if (classes_ < 2) spec_.fail("classes must be >= 2");
}

Shape Knn::setup(const Shape& input, Rng&) {
  if (input.rank() != 1)
    spec_.fail("expects a flat input [features], got " + input.str() + " (add a flatten layer before it)");
  memory_ = new_state(Shape{rows_, input[0]}, false);
  labels_ = new_state(Shape{rows_}, false);
  return Shape{classes_};
}

Tensor Knn::forward(const Tensor& x, ForwardContext& ctx) {
  if (ctx.training) spec_.fail("is fitted, not trained: it has no gradient");
  const int64_t batch = x.dim(0), d = memory_.dim(1);
  Tensor out = Tensor::zeros(Shape{batch, classes_});
  const float* mem = memory_.data();
  const float* lab = labels_.data();
#pragma omp parallel for num_threads(std::max(1, ctx.threads)) schedule(dynamic, 1)
  for (int64_t b = 0; b < batch; ++b) {
    const float* q = x.data() + b * d;
    std::vector<std::pair<double, int64_t>> dist(static_cast<size_t>(rows_));
    for (int64_t r = 0; r < rows_; ++r) {
      double s = 0;
      for (int64_t j = 0; j < d; ++j) {
        const double diff = static_cast<double>(q[j]) - mem[r * d + j];
        s += diff * diff;
      }
      dist[static_cast<size_t>(r)] = {s, r};
    }
    std::partial_sort(dist.begin(), dist.begin() + k_, dist.end());
    std::vector<int64_t> votes(static_cast<size_t>(classes_), 0);
    for (int64_t i = 0; i < k_; ++i) {
      const auto label = static_cast<int64_t>(lab[dist[static_cast<size_t>(i)].second]);
      if (label >= 0 && label < classes_) ++votes[static_cast<size_t>(label)];
    }
    float* o = out.data() + b * classes_;
    for (int64_t c = 0; c < classes_; ++c)
      o[c] = static_cast<float>(std::log(std::max(1e-7, static_cast<double>(votes[static_cast<size_t>(c)]) / k_)));
  }
  return out;
}

}  // namespace ser::nn
