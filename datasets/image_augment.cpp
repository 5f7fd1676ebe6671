#include "datasets/image_augment.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

namespace ser::datasets {

void ImageAugment::register_settings(Settings& s) {
  s.flag("flip", flip, "mirror left to right with probability 1/2");
  s.number("shift", shift, 0.0, 0.5, "shift each axis by a uniform share of its side in [-s, s]");
  s.number("rotation", rotation, 0.0, 180.0, "rotate by a uniform angle in [-r, r]").unit("degrees");
  s.number("zoom", zoom, 0.0, 0.9, "scale each axis by a uniform factor in [1 - z, 1 + z]");
}

namespace {
// Bilinear sample at (y, x), coordinates clamped to the image: the edge
// pixels repeat outward.
float sample_clamped(const std::vector<float>& src, int64_t h, int64_t w, double y, double x) {
  y = std::clamp(y, 0.0, static_cast<double>(h - 1));
  x = std::clamp(x, 0.0, static_cast<double>(w - 1));
  const auto y0 = static_cast<int64_t>(y), x0 = static_cast<int64_t>(x);
  const int64_t y1 = std::min(y0 + 1, h - 1), x1 = std::min(x0 + 1, w - 1);
  const double fy = y - static_cast<double>(y0), fx = x - static_cast<double>(x0);
  const double top = src[static_cast<size_t>(y0 * w + x0)] * (1 - fx) + src[static_cast<size_t>(y0 * w + x1)] * fx;
  const double bottom = src[static_cast<size_t>(y1 * w + x0)] * (1 - fx) + src[static_cast<size_t>(y1 * w + x1)] * fx;
  return static_cast<float>(top * (1 - fy) + bottom * fy);
}
}  // namespace

ImageAugment::Draw ImageAugment::draw(int64_t h, int64_t w, Rng& rng) const {
  // Every value drawn whether used or not, so changing one setting leaves
  // the others' draws where they were.
  Draw d;
  d.theta = rotation * std::numbers::pi / 180.0 * rng.uniform(-1.0f, 1.0f);
  d.tx = shift * static_cast<double>(h) * rng.uniform(-1.0f, 1.0f);
  d.ty = shift * static_cast<double>(w) * rng.uniform(-1.0f, 1.0f);
  d.zx = 1.0 + zoom * rng.uniform(-1.0f, 1.0f);
  d.zy = 1.0 + zoom * rng.uniform(-1.0f, 1.0f);
  d.flip = rng.uniform() < 0.5f && flip;
  return d;
}

void ImageAugment::apply_draw(const Draw& d, float* image, int64_t h, int64_t w) {
  // Output (row, col) -> input position: in = R Z (out - c) + R t + c, with
  // R the rotation, Z the zooms, t the shifts and c Keras' centre.
  const double c = std::cos(d.theta), s = std::sin(d.theta);
  const double a00 = c * d.zx, a01 = -s * d.zy, a10 = s * d.zx, a11 = c * d.zy;
  const double cr = static_cast<double>(h) / 2 + 0.5, cc = static_cast<double>(w) / 2 + 0.5;
  const double off_r = c * d.tx - s * d.ty + cr, off_c = s * d.tx + c * d.ty + cc;
  const std::vector<float> src(image, image + h * w);
  for (int64_t r = 0; r < h; ++r)
    for (int64_t col = 0; col < w; ++col) {
      const double dr = static_cast<double>(r) - cr, dc = static_cast<double>(col) - cc;
      const double y = a00 * dr + a01 * dc + off_r, x = a10 * dr + a11 * dc + off_c;
      image[r * w + (d.flip ? w - 1 - col : col)] = sample_clamped(src, h, w, y, x);
    }
}

Rng image_augment_rng(uint64_t seed, int epoch, uint64_t row) {
  // Distinct streams per (seed, epoch, row): a splitmix-style mix of the three.
  uint64_t z = seed * 0x9e3779b97f4a7c15ULL ^ (static_cast<uint64_t>(epoch) << 40) ^ (row * 0xbf58476d1ce4e5b9ULL);
  z = (z ^ (z >> 31)) * 0x94d049bb133111ebULL;
  return Rng(z ^ (z >> 29));
}

}  // namespace ser::datasets
