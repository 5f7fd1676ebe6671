#pragma once
// Image augmentation redrawn every epoch, as Keras' ImageDataGenerator does
// it for the FER2013 notebooks: a random rotation, shift and zoom about the
// image's centre (one affine map, bilinear, the edge pixels repeated where
// the map reaches outside: fill_mode "nearest"), then a horizontal flip
// with probability 1/2. Each draw comes from the Rng the caller seeds, so a
// run seeds it from (seed, epoch, row) and gets the same images whatever
// the thread count, and again after a resume.

#include <cstdint>

#include "common/rng.hpp"
#include "common/settings.hpp"

namespace ser::datasets {

struct ImageAugment {
  bool flip = false;     // horizontal_flip
  double shift = 0.0;    // width_shift_range = height_shift_range: a share of the side, uniform in [-s, s]
  double rotation = 0.0; // rotation_range: degrees, uniform in [-r, r]
  double zoom = 0.0;     // zoom_range: each axis scaled by a draw from [1 - z, 1 + z]

  // One transform, in Keras' terms: rotation theta (radians), shifts along
  // rows (tx) and columns (ty) in pixels, zooms of rows (zx) and columns (zy),
  // and the flip.
  struct Draw {
    double theta = 0, tx = 0, ty = 0, zx = 1, zy = 1;
    bool flip = false;
  };

  void register_settings(Settings& s);
  bool identity() const { return !flip && shift == 0 && rotation == 0 && zoom == 0; }
  // A draw for an image of h rows of w values, in Keras' order.
  Draw draw(int64_t h, int64_t w, Rng& rng) const;
  // One draw applied in place.
  void apply(float* image, int64_t h, int64_t w, Rng& rng) const { apply_draw(draw(h, w, rng), image, h, w); }
  // Keras' apply_affine_transform (scipy.ndimage.affine_transform, order 1,
  // mode "nearest", about Keras' centre h/2 + 0.5), then the flip.
  static void apply_draw(const Draw& d, float* image, int64_t h, int64_t w);
};

// The generator of one row's draw in one epoch (epochs counted from 1).
Rng image_augment_rng(uint64_t seed, int epoch, uint64_t row);

}  // namespace ser::datasets
