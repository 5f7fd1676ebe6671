#pragma once
// The six models the benchmarks train and run (ser_bench's train_step/,
// infer/ and layer/ items, and ser_bench_mpi): the published
// architectures at their published batch sizes, on seeded random inputs.

#include <cstdint>
#include <vector>

#include "common/rng.hpp"
#include "nn/layers/layer_spec.hpp"
#include "nn/shape.hpp"
#include "nn/tensor.hpp"
#include "zoo/published_models.hpp"

namespace ser::bench {

struct ModelCase {
  const char* name;
  std::vector<nn::LayerSpec> specs;
  nn::Shape input;
  int classes, batch;
};

inline std::vector<ModelCase> models() {
  return {{"tess_cnn1d", ser::zoo::tess_cnn1d_specs(true), nn::Shape{1, 2400}, 14, 32},
          {"fer_cnn", ser::zoo::fer_cnn_specs(), nn::Shape{1, 48, 48}, 7, 64},
          {"fer_cnn_bn", ser::zoo::fer_cnn_bn_specs(), nn::Shape{1, 48, 48}, 7, 64},
          {"ravdess_mel_cnn", ser::zoo::ravdess_mel_cnn_specs(), nn::Shape{1, 128, 165}, 8, 64},
          {"lstm", ser::zoo::lstm_specs(), nn::Shape{100, 40}, 7, 32},
          {"kaggle_cnn1d", ser::zoo::kaggle_cnn1d_specs(), nn::Shape{1, 2376}, 7, 64}};
}

// Uniform in [-1, 1), seeded.
inline std::vector<float> random(size_t n, uint64_t seed) {
  ser::Rng rng(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = static_cast<float>(rng.uniform() * 2.0 - 1.0);
  return v;
}

inline nn::Tensor random_batch(const nn::Shape& input, int batch, uint64_t seed) {
  const nn::Shape s = input.prepend(batch);
  return nn::Tensor::from(s, random(static_cast<size_t>(s.numel()), seed));
}

// Targets cycling through the classes.
inline std::vector<int32_t> cycling_targets(int batch, int classes) {
  std::vector<int32_t> y(static_cast<size_t>(batch));
  for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<int32_t>(i % static_cast<size_t>(classes));
  return y;
}

}  // namespace ser::bench
