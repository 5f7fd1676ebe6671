#pragma once
// exp, sigmoid and tanh for float arrays, written branch-free so that the
// compiler turns loops over them into SIMD code (libm's expf and tanhf are
// scalar calls, and were most of the LSTM's time). Cephes' single-precision
// polynomials: within 2 ulp of the correctly rounded result over the range
// a network uses; inputs beyond +-88 saturate.

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace ser::nn {

// Ternaries and integer conversions rather than fmin, fmax and floor: GCC
// 12 vectorises these (with -fno-trapping-math, set for nn/) and not those.
inline float exp_approx(float x) {
  x = x < -87.3f ? -87.3f : x;
  x = x > 88.3f ? 88.3f : x;
  // NaN passes both clamps and stays NaN through r and p below; the exponent
  // alone is taken from 0 instead, since converting NaN to an integer is
  // undefined (found by fuzzing ONNX import: a model file's NaN weight).
  const float fx = (x == x ? x : 0.0f) * 1.44269504088896341f + 0.5f;
  int32_t ni = static_cast<int32_t>(fx);      // truncation toward zero...
  ni -= fx < static_cast<float>(ni) ? 1 : 0;  // ...made floor: n = round(x / ln 2)
  const float n = static_cast<float>(ni);
  float r = x - n * 0.693359375f;  // ln 2 in two parts: the first product is exact
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  return p * std::bit_cast<float>((ni + 127) << 23);  // times 2^n
}

inline float sigmoid_approx(float x) { return 1.0f / (1.0f + exp_approx(-x)); }

inline float tanh_approx(float x) {
  const float a = x < 0.0f ? -x : x;
  // Small |x|: odd polynomial (no cancellation); otherwise 1 - 2 / (e^2|x| + 1).
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = p * z * x + x;
  const float magnitude = 1.0f - 2.0f / (exp_approx(2.0f * a) + 1.0f);
  const float large = x < 0.0f ? -magnitude : magnitude;
  return a < 0.625f ? small : large;  // one select per statement: nested ones stay branches
}

// Sums in a fixed order that vectorises: 64 running partial sums (lane j
// takes elements j, j + 64, ...; four 16-float or eight 8-float vectors,
// as many independent FMA chains), then combined pairwise. A plain `acc += x[i]` loop is one
// dependent chain the compiler may not reorder, 4 cycles an element: it made
// the convolutions' bias gradients a tenth of a TESS CNN training step.
// 16 floats as one GCC vector: a zmm register with AVX-512. Targeting AVX2,
// GCC moves such vectors through the stack (4x slower in these sums, 10x in
// the direct convolution: bench/README.md), so the sums below run on the
// widest native vector, F32Native, whose lanes keep the same 64 partial sums.
using f32x16 = float __attribute__((vector_size(64)));
// Built for AVX-512 (-march=native on such a CPU): 16-float vectors, and
// their permutes, are single registers and instructions.
inline constexpr bool kAvx512Build =
#if defined(__AVX512F__)
    true;
#else
    false;
#endif
using F32Native = std::conditional_t<kAvx512Build, f32x16, float __attribute__((vector_size(32)))>;
inline constexpr int kSumVectors = 64 / static_cast<int>(sizeof(F32Native) / sizeof(float));

// Lanes of 16-lane vectors chosen by an index vector: lane i of the result is
// a[idx[i]] (permute) or, from the 32 lanes of a then b, (a|b)[idx[i]]
// (permute2; vpermt2ps with AVX-512). GCC's __builtin_shuffle does this for
// any ISA; clang (the fuzzing build) has no variable-index shuffle, so it
// gets the plain loop.
template <typename V, typename I>
inline V permute(V a, I idx) {
#if defined(__clang__)
  V r;
  for (int i = 0; i < 16; ++i) r[i] = a[idx[i] & 15];
  return r;
#else
  return __builtin_shuffle(a, idx);
#endif
}
template <typename V, typename I>
inline V permute2(V a, V b, I idx) {
#if defined(__clang__)
  V r;
  for (int i = 0; i < 16; ++i) r[i] = (idx[i] & 31) < 16 ? a[idx[i] & 15] : b[idx[i] & 15];
  return r;
#else
  return __builtin_shuffle(a, b, idx);
#endif
}

namespace detail {

inline float combine_lanes(const F32Native (&acc)[kSumVectors], const float* a, const float* b, int64_t i, int64_t n) {
  float lanes[64];
  std::memcpy(lanes, acc, sizeof lanes);
  for (int j = 0; i < n; ++i, ++j) lanes[j] += b ? a[i] * b[i] : a[i];
  for (int width = 32; width >= 1; width /= 2)
    for (int j = 0; j < width; ++j) lanes[j] += lanes[j + width];
  return lanes[0];
}
}  // namespace detail

inline float sum_fixed_order(const float* x, int64_t n) {
  constexpr int lanes = 64 / kSumVectors;
  F32Native acc[kSumVectors] = {};
  int64_t i = 0;
  for (; i + 64 <= n; i += 64)
    for (int v = 0; v < kSumVectors; ++v) {
      F32Native xv;
      std::memcpy(&xv, x + i + lanes * v, sizeof xv);
      acc[v] += xv;
    }
  return detail::combine_lanes(acc, x, nullptr, i, n);
}

// The dot product of a and b in the same order.
inline float dot_fixed_order(const float* a, const float* b, int64_t n) {
  constexpr int lanes = 64 / kSumVectors;
  F32Native acc[kSumVectors] = {};
  int64_t i = 0;
  for (; i + 64 <= n; i += 64)
    for (int v = 0; v < kSumVectors; ++v) {
      F32Native av, bv;
      std::memcpy(&av, a + i + lanes * v, sizeof av);
      std::memcpy(&bv, b + i + lanes * v, sizeof bv);
      acc[v] += av * bv;
    }
  return detail::combine_lanes(acc, a, b, i, n);
}

}  // namespace ser::nn
