#pragma once
// Eight floats as one GCC vector: the Winograd transforms run on eight tiles
// at once (the same operations per lane, so the same bits as on one tile).
// Eight, not sixteen: on AVX2, GCC lowered 16-float vectors through the
// stack. Loads and stores go through memcpy (any alignment).

#include <cstdint>
#include <cstring>

namespace ser::nn {

inline constexpr int kLanes = 8;
using Lanes = float __attribute__((vector_size(kLanes * sizeof(float))));
using LaneIndex = int32_t __attribute__((vector_size(kLanes * sizeof(int32_t))));

inline Lanes load_lanes(const float* p) {
  Lanes v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store_lanes(float* p, const Lanes& v) { std::memcpy(p, &v, sizeof v); }

}  // namespace ser::nn
