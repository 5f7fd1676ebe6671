#pragma once
// mixup (Zhang et al. 2018): each training batch is blended with a shuffled
// copy of itself, x = lambda x + (1 - lambda) x[partner], lambda drawn from
// Beta(alpha, alpha) once per batch, and trained towards both labels,
// lambda CE(y) + (1 - lambda) CE(y[partner]), as the authors' code does.
// The caller seeds the Rng from (seed, epoch, batch), so runs are the same on
// any thread count and after a resume.

#include <cstdint>
#include <vector>

#include "common/rng.hpp"
#include "common/settings.hpp"

namespace ser::datasets {

struct Mixup {
  double alpha = 0;  // 0: off

  void register_settings(Settings& s);
  bool identity() const { return alpha == 0; }

  struct Draw {
    double lambda = 1;
    std::vector<int64_t> partner;  // row i is mixed with row partner[i]
  };
  // Blends `n` samples of `size` values in place and says how.
  Draw apply(float* x, int64_t n, int64_t size, Rng& rng) const;
};

// The generator of one batch's mixing in one epoch (both counted from 1).
Rng mixup_rng(uint64_t seed, int epoch, uint64_t batch);

}  // namespace ser::datasets
