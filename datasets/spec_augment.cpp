#include "datasets/spec_augment.hpp"

#include <algorithm>

#include "datasets/image_augment.hpp"

namespace ser::datasets {

void SpecAugment::register_settings(Settings& s) {
  s.integer("time_masks", time_masks, 0, 100, "masks across time per sample per epoch");
  s.integer("time_width", time_width, 0, 100000, "widest time mask, in frames (each drawn from 0 to it)");
  s.integer("freq_masks", freq_masks, 0, 100, "masks across features (mel bands, MFCCs) per sample per epoch");
  s.integer("freq_width", freq_width, 0, 100000, "widest feature mask, in rows (each drawn from 0 to it)");
}

namespace {
// A stretch [start, start + width) of at most `most` out of `size`.
std::pair<int64_t, int64_t> draw_mask(int64_t size, int most, Rng& rng) {
  const auto width = std::min<int64_t>(size, static_cast<int64_t>(rng.uniform() * (most + 1)));
  const auto start = static_cast<int64_t>(rng.uniform() * static_cast<float>(size - width + 1));
  return {std::min(start, size - width), width};
}
}  // namespace

void SpecAugment::apply(float* x, int64_t rows, int64_t frames, bool time_major, Rng& rng) const {
  const auto at = [&](int64_t r, int64_t t) -> float& { return time_major ? x[t * rows + r] : x[r * frames + t]; };
  for (int m = 0; m < time_masks && time_width > 0; ++m) {
    const auto [start, width] = draw_mask(frames, time_width, rng);
    for (int64_t t = start; t < start + width; ++t)
      for (int64_t r = 0; r < rows; ++r) at(r, t) = 0.0f;
  }
  for (int m = 0; m < freq_masks && freq_width > 0; ++m) {
    const auto [start, width] = draw_mask(rows, freq_width, rng);
    for (int64_t r = start; r < start + width; ++r)
      for (int64_t t = 0; t < frames; ++t) at(r, t) = 0.0f;
  }
}

Rng spec_augment_rng(uint64_t seed, int epoch, uint64_t row) {
  return image_augment_rng(seed ^ 0x5bd1e9955bd1e995ULL, epoch, row);
}

}  // namespace ser::datasets
