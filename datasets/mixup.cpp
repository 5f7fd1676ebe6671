#include "datasets/mixup.hpp"

#include <numeric>

#include "datasets/image_augment.hpp"

namespace ser::datasets {

void Mixup::register_settings(Settings& s) {
  s.number("alpha", alpha, 0, 10, "Beta(alpha, alpha) draws each batch's mixing weight (0.2 to 0.4 is usual; 0: off)");
}

Mixup::Draw Mixup::apply(float* x, int64_t n, int64_t size, Rng& rng) const {
  Draw d;
  d.lambda = rng.beta(alpha, alpha);
  d.partner.resize(static_cast<size_t>(n));
  std::iota(d.partner.begin(), d.partner.end(), int64_t{0});
  rng.shuffle(d.partner);
  const std::vector<float> original(x, x + n * size);
  const auto l = static_cast<float>(d.lambda);
  for (int64_t i = 0; i < n; ++i) {
    const float* other = original.data() + d.partner[static_cast<size_t>(i)] * size;
    float* row = x + i * size;
    for (int64_t k = 0; k < size; ++k) row[k] = l * row[k] + (1.0f - l) * other[k];
  }
  return d;
}

Rng mixup_rng(uint64_t seed, int epoch, uint64_t batch) {
  return image_augment_rng(seed ^ 0x853c49e6748fea9bULL, epoch, batch);
}

}  // namespace ser::datasets
