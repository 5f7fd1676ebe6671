#include "dsp/lane_fft.hpp"

#ifdef __AVX__
#include <immintrin.h>
#endif

#include <cmath>
#include <cstring>
#include <memory>
#include <numbers>
#include <stdexcept>
#include <string>

namespace ser::dsp {

namespace {
// kLanes doubles, one per frame. GCC's and clang's vector extensions: plain
// arithmetic on them is lane-wise, and a scalar operand is broadcast.
using Vec = double __attribute__((vector_size(32)));
static_assert(sizeof(Vec) == LaneFft::kLanes * sizeof(double));

// z[m] = x[2m] + i x[2m+1] of the windowed frames, lane j holding frame j:
// the n real points as n/2 complex ones (the real-input FFT's usual halving).
void load_frames(const float* const f[LaneFft::kLanes], const double* w, int n, Vec* re, Vec* im) {
  int k = 0;
#ifdef __AVX__
  // Four samples of each frame, windowed in double, then a 4x4 transpose so
  // each vector holds one sample of the four frames.
  for (; k + 4 <= n; k += 4) {
    const __m256d wk = _mm256_loadu_pd(w + k);
    const __m256d a0 = _mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(f[0] + k)), wk);
    const __m256d a1 = _mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(f[1] + k)), wk);
    const __m256d a2 = _mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(f[2] + k)), wk);
    const __m256d a3 = _mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(f[3] + k)), wk);
    const __m256d lo01 = _mm256_unpacklo_pd(a0, a1), hi01 = _mm256_unpackhi_pd(a0, a1);
    const __m256d lo23 = _mm256_unpacklo_pd(a2, a3), hi23 = _mm256_unpackhi_pd(a2, a3);
    re[k / 2] = _mm256_permute2f128_pd(lo01, lo23, 0x20);      // sample k
    im[k / 2] = _mm256_permute2f128_pd(hi01, hi23, 0x20);      // k + 1
    re[k / 2 + 1] = _mm256_permute2f128_pd(lo01, lo23, 0x31);  // k + 2
    im[k / 2 + 1] = _mm256_permute2f128_pd(hi01, hi23, 0x31);  // k + 3
  }
#endif
  for (; k < n; k += 2) {
    for (int j = 0; j < LaneFft::kLanes; ++j) {
      re[k / 2][j] = f[j][k] * w[k];
      im[k / 2][j] = f[j][k + 1] * w[k + 1];
    }
  }
}

// The last two spans of the decimation in frequency at once: twiddles 1 and
// -i, so no multiplications.
void span4(Vec* re, Vec* im) {
  const Vec r0 = re[0] + re[2], i0 = im[0] + im[2], r2 = re[0] - re[2], i2 = im[0] - im[2];
  const Vec r1 = re[1] + re[3], i1 = im[1] + im[3];
  const Vec r3 = im[1] - im[3], i3 = re[3] - re[1];  // (x1 - x3) (-i)
  re[0] = r0 + r1;
  im[0] = i0 + i1;
  re[1] = r0 - r1;
  im[1] = i0 - i1;
  re[2] = r2 + r3;
  im[2] = i2 + i3;
  re[3] = r2 - r3;
  im[3] = i2 - i3;
}

// x (c - i s): a product by the twiddle e^{-i a}, c = cos a, s = sin a.
inline void rotate(Vec& re, Vec& im, double c, double s) {
  const Vec r = re * c + im * s;
  im = im * c - re * s;
  re = r;
}

// One radix-4 step of the decimation in frequency over m points (q = m/4):
// outputs r = 0, 2, 1, 3 of each 4-point DFT go to the quarters 0..3 (their
// 2-bit reversal), times e^{-2 pi i j r / m}. Half the passes over memory of
// radix 2, and three twiddle products per four points instead of four.
void radix4_step(Vec* re, Vec* im, int q, const double* cos_t, const double* sin_t, int step) {
  for (int j = 0; j < q; ++j) {
    const Vec r0 = re[j], i0 = im[j], r1 = re[j + q], i1 = im[j + q];
    const Vec r2 = re[j + 2 * q], i2 = im[j + 2 * q], r3 = re[j + 3 * q], i3 = im[j + 3 * q];
    const Vec ar = r0 + r2, ai = i0 + i2, br = r0 - r2, bi = i0 - i2;  // t0, t1
    const Vec cr = r1 + r3, ci = i1 + i3, dr = i1 - i3, di = r3 - r1;  // t2, t3 = -i (x1 - x3)
    re[j] = ar + cr;
    im[j] = ai + ci;
    Vec yr = ar - cr, yi = ai - ci;  // r = 2
    rotate(yr, yi, cos_t[2 * j * step], sin_t[2 * j * step]);
    re[j + q] = yr;
    im[j + q] = yi;
    yr = br + dr, yi = bi + di;  // r = 1
    rotate(yr, yi, cos_t[j * step], sin_t[j * step]);
    re[j + 2 * q] = yr;
    im[j + 2 * q] = yi;
    yr = br - dr, yi = bi - di;  // r = 3
    rotate(yr, yi, cos_t[3 * j * step], sin_t[3 * j * step]);
    re[j + 3 * q] = yr;
    im[j + 3 * q] = yi;
  }
}

// One radix-2 step over m points (h = m/2), for sizes that are not a power of four.
void radix2_step(Vec* re, Vec* im, int h, const double* cos_t, const double* sin_t, int step) {
  for (int j = 0; j < h; ++j) {
    const Vec ar = re[j], ai = im[j], br = re[j + h], bi = im[j + h];
    re[j] = ar + br;
    im[j] = ai + bi;
    Vec yr = ar - br, yi = ai - bi;
    rotate(yr, yi, cos_t[j * step], sin_t[j * step]);
    re[j + h] = yr;
    im[j + h] = yi;
  }
}

// Complex FFT of m points, decimation in frequency: natural order in,
// bit-reversed order out. One step at span m, then each part on its own, so
// from some depth on a whole part sits in L1 (4 frames of 2048 points are
// 64 KiB, twice Zen's L1). e^{-2 pi i j / m} = cos/sin[j * step], step = n/m.
void fft_dif(Vec* re, Vec* im, int m, const double* cos_t, const double* sin_t, int step) {
  if (m == 4) return span4(re, im);
  if (m == 8) {
    radix2_step(re, im, 4, cos_t, sin_t, step);
    span4(re, im);
    return span4(re + 4, im + 4);
  }
  const int q = m / 4;
  radix4_step(re, im, q, cos_t, sin_t, step);
  for (int p = 0; p < 4; ++p) fft_dif(re + p * q, im + p * q, q, cos_t, sin_t, 4 * step);
}
}  // namespace

bool LaneFft::supports(int n) { return n >= 16 && (n & (n - 1)) == 0; }

LaneFft::LaneFft(int n) : n_(n), half_(n / 2) {
  if (!supports(n)) throw std::invalid_argument("LaneFft: " + std::to_string(n) + " is not a power of two >= 16");
  // cos/sin(2 pi k / n) for k < n, by symmetry from the first eighth: exact
  // mirrors, and an eighth of the calls (this is most of the set-up).
  cos_.resize(static_cast<size_t>(n));
  sin_.resize(static_cast<size_t>(n));
  const int eighth = n / 8, quarter = n / 4;
  for (int k = 0; k <= eighth; ++k) {
    const double a = 2 * std::numbers::pi * k / n;
    cos_[k] = std::cos(a);
    sin_[k] = std::sin(a);
  }
  for (int k = eighth + 1; k <= quarter; ++k) {  // pi/2 - a
    cos_[k] = sin_[quarter - k];
    sin_[k] = cos_[quarter - k];
  }
  for (int k = quarter + 1; k <= half_; ++k) {  // pi - a
    cos_[k] = -cos_[half_ - k];
    sin_[k] = sin_[half_ - k];
  }
  for (int k = half_ + 1; k < n; ++k) {  // 2 pi - a
    cos_[k] = cos_[n - k];
    sin_[k] = -sin_[n - k];
  }
  int bits = 0;
  while ((1 << bits) < half_) ++bits;
  reversed_.resize(static_cast<size_t>(half_));
  for (int k = 0; k < half_; ++k) {
    int r = 0;
    for (int b = 0; b < bits; ++b) r |= ((k >> b) & 1) << (bits - 1 - b);
    reversed_[static_cast<size_t>(k)] = r;
  }
}

void LaneFft::power(const float* const frames[kLanes], const double* window, double* power, int64_t stride,
                    std::vector<double>& scratch) const {
  // Two arrays of n/2 vectors, 32-byte aligned inside the scratch.
  const size_t doubles = static_cast<size_t>(2 * half_ * kLanes);
  if (scratch.size() < doubles + kLanes) scratch.assign(doubles + kLanes, 0.0);
  void* base = scratch.data();
  size_t room = scratch.size() * sizeof(double);
  Vec* re = static_cast<Vec*>(std::align(alignof(Vec), doubles * sizeof(double), base, room));
  Vec* im = re + half_;
  load_frames(frames, window, n_, re, im);
  fft_dif(re, im, half_, cos_.data(), sin_.data(), 2);
  // X[k] from Z[k] and Z[m-k] (m = n/2): the even samples' spectrum
  // (Z[k] + conj Z[m-k]) / 2 plus e^{-2 pi i k / n} times the odd samples'
  // (Z[k] - conj Z[m-k]) / 2i; Z sits in bit-reversed order.
  const int mask = half_ - 1;
  for (int k = 0; k <= half_; ++k) {
    const int32_t zk = reversed_[static_cast<size_t>(k & mask)], zm = reversed_[static_cast<size_t>((half_ - k) & mask)];
    const Vec a = re[zk], b = im[zk], c = re[zm], d = im[zm];
    const Vec p = (b + d) * 0.5, q = (c - a) * 0.5;  // the odd spectrum: p + i q
    const double ct = cos_[static_cast<size_t>(k)], st = sin_[static_cast<size_t>(k)];
    const Vec xr = (a + c) * 0.5 + (p * ct + q * st);
    const Vec xi = (b - d) * 0.5 + (q * ct - p * st);
    const Vec pw = xr * xr + xi * xi;
    std::memcpy(power + static_cast<int64_t>(k) * stride, &pw, sizeof(Vec));
  }
}

std::vector<double> dft_power_naive(const float* frame, const double* window, int n) {
  std::vector<double> out(static_cast<size_t>(n / 2 + 1));
  for (int b = 0; b <= n / 2; ++b) {
    long double re = 0, im = 0;
    for (int k = 0; k < n; ++k) {
      // The angle reduced exactly (b k mod n) before the long-double cosine.
      const auto a = 2 * std::numbers::pi_v<long double> * static_cast<long double>((static_cast<int64_t>(b) * k) % n) / n;
      const long double x = static_cast<long double>(frame[k]) * window[k];
      re += x * std::cos(a);
      im -= x * std::sin(a);
    }
    out[static_cast<size_t>(b)] = static_cast<double>(re * re + im * im);
  }
  return out;
}

}  // namespace ser::dsp
