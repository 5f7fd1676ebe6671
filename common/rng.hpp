#pragma once
// Seeded random numbers that are the same on every platform and compiler
// (std::normal_distribution and friends are implementation-defined, so we do
// not use them). xoshiro256** seeded through splitmix64.

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace ser {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0);

  uint64_t next_u64();
  // Uniform in [0, 1), 24 random bits (exact in float32).
  float uniform();
  // Uniform in [lo, hi).
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
  // Standard normal (Box-Muller, one value per call; the pair's twin is kept).
  float normal();
  // Uniform integer in [0, n).
  uint64_t below(uint64_t n);
  // Gamma(shape, 1), shape > 0 (Marsaglia and Tsang 2000; below 1 through
  // Gamma(shape + 1) * U^(1/shape)).
  double gamma(double shape);
  // Beta(a, b), a, b > 0, as Gamma(a) / (Gamma(a) + Gamma(b)): mixup's weight.
  double beta(double a, double b);

  // Fisher-Yates, from the back: the same order for the same state everywhere.
  template <typename T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }

  // The whole state, for checkpoints: restoring it continues the same stream.
  struct State {
    uint64_t s[4];
    bool has_spare;
    float spare;
  };
  State state() const { return {{s_[0], s_[1], s_[2], s_[3]}, has_spare_, spare_}; }
  void restore(const State& st) {
    for (int i = 0; i < 4; ++i) s_[i] = st.s[i];
    has_spare_ = st.has_spare;
    spare_ = st.spare;
  }

 private:
  uint64_t s_[4];
  bool has_spare_ = false;
  float spare_ = 0.0f;
};

}  // namespace ser

namespace ser::nn {
using ser::Rng;
}  // namespace ser::nn
