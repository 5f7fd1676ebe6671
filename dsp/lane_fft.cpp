#include "dsp/lane_fft.hpp"

#ifdef __AVX__
#include <immintrin.h>
#endif

#include <cmath>
#include <memory>
#include <numbers>
#include <stdexcept>
#include <string>

namespace ser::dsp {

namespace {
// kLanes floats, one per frame. GCC's and clang's vector extensions: plain
// arithmetic on them is lane-wise, and a scalar operand is broadcast.
using Vec = float __attribute__((vector_size(32)));
static_assert(sizeof(Vec) == LaneFft::kLanes * sizeof(float));
constexpr int kLanes = LaneFft::kLanes;

#ifdef __AVX__
// r[i] becomes element i of every row: the 8x8 transpose.
inline void transpose8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
  r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
  r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
  r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
  r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
  r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
  r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
  r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}
#endif

// z[m] = x[2m] + i x[2m+1] of the windowed frames, lane j holding frame j:
// the n real points as n/2 complex ones (the real-input FFT's usual halving).
void load_frames(const float* const f[kLanes], const float* w, int n, Vec* re, Vec* im) {
  int k = 0;
#ifdef __AVX__
  // Eight samples of each frame times the window's eight, then a transpose
  // so each vector holds one sample of the eight frames.
  for (; k + 8 <= n; k += 8) {
    const __m256 wk = _mm256_loadu_ps(w + k);
    __m256 r[8];
    for (int j = 0; j < kLanes; ++j) r[j] = _mm256_mul_ps(_mm256_loadu_ps(f[j] + k), wk);
    transpose8(r);
    for (int i = 0; i < 4; ++i) {
      re[k / 2 + i] = r[2 * i];
      im[k / 2 + i] = r[2 * i + 1];
    }
  }
#endif
  for (; k < n; k += 2)
    for (int j = 0; j < kLanes; ++j) {
      re[k / 2][j] = f[j][k] * w[k];
      im[k / 2][j] = f[j][k + 1] * w[k + 1];
    }
}

// The power of the eight lanes of one bin, widened to double.
inline void store_power(const Vec& pw, double* out) {
#ifdef __AVX__
  const __m256 v = pw;
  _mm256_storeu_pd(out, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
  _mm256_storeu_pd(out + 4, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
#else
  for (int j = 0; j < kLanes; ++j) out[j] = pw[j];
#endif
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
inline void rotate(Vec& re, Vec& im, float c, float s) {
  const Vec r = re * c + im * s;
  im = im * c - re * s;
  re = r;
}

// One radix-4 step of the decimation in frequency over m points (q = m/4):
// outputs r = 0, 2, 1, 3 of each 4-point DFT go to the quarters 0..3 (their
// 2-bit reversal), times e^{-2 pi i j r / m}. Half the passes over memory of
// radix 2, and three twiddle products per four points instead of four.
void radix4_step(Vec* re, Vec* im, int q, const float* cos_t, const float* sin_t, int step) {
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
void radix2_step(Vec* re, Vec* im, int h, const float* cos_t, const float* sin_t, int step) {
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
// from some depth on a whole part sits in L1 (8 frames of 2048 points are
// 64 KiB, twice Zen's L1). e^{-2 pi i j / m} = cos/sin[j * step], step = n/m.
void fft_dif(Vec* re, Vec* im, int m, const float* cos_t, const float* sin_t, int step) {
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
    cos_[k] = static_cast<float>(std::cos(a));
    sin_[k] = static_cast<float>(std::sin(a));
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

void LaneFft::power(const float* const frames[kLanes], const float* window, double* power,
                    std::vector<float>& scratch) const {
  // Two arrays of n/2 vectors, 32-byte aligned inside the scratch.
  const size_t floats = static_cast<size_t>(2 * half_ * kLanes);
  if (scratch.size() < floats + kLanes) scratch.assign(floats + kLanes, 0.0f);
  void* base = scratch.data();
  size_t room = scratch.size() * sizeof(float);
  Vec* re = static_cast<Vec*>(std::align(alignof(Vec), floats * sizeof(float), base, room));
  Vec* im = re + half_;
  load_frames(frames, window, n_, re, im);
  fft_dif(re, im, half_, cos_.data(), sin_.data(), 2);
  // X[k] from Z[k] and Z[m-k] (m = n/2): the even samples' spectrum
  // E = (Z[k] + conj Z[m-k]) / 2 plus e^{-2 pi i k / n} times the odd
  // samples' O = (Z[k] - conj Z[m-k]) / 2i. Bin m-k reads the same two
  // values (E becomes conj E, the rotated O mirrors), so each pair of bins
  // is one pair of reads from the bit-reversed Z: half the scattered loads.
  const int mask = half_ - 1;
  for (int k = 0; k <= half_ / 2; ++k) {
    const int32_t zk = reversed_[static_cast<size_t>(k)];
    const int32_t zm = reversed_[static_cast<size_t>((half_ - k) & mask)];
    const Vec a = re[zk], b = im[zk], c = re[zm], d = im[zm];
    const Vec er = (a + c) * 0.5f, ei = (b - d) * 0.5f;  // E
    const Vec p = (b + d) * 0.5f, q = (c - a) * 0.5f;    // O = p + i q
    const float ct = cos_[static_cast<size_t>(k)], st = sin_[static_cast<size_t>(k)];
    const Vec u = p * ct + q * st, v = q * ct - p * st;  // e^{-i theta} O
    const Vec xr = er + u, xi = ei + v;                  // bin k
    const Vec yr = er - u, yi = v - ei;                  // bin m - k
    const Vec x = xr * xr + xi * xi, y = yr * yr + yi * yi;
    store_power(x, power + static_cast<int64_t>(k) * kLanes);
    store_power(y, power + static_cast<int64_t>(half_ - k) * kLanes);
  }
}

std::vector<double> dft_power_naive(const float* frame, const float* window, int n) {
  // e^{-2 pi i m / n} for every m, each from its own long-double cosine and
  // sine; bin b's term k takes m = b k mod n, an exact reduction of the angle.
  std::vector<long double> c(static_cast<size_t>(n)), s(static_cast<size_t>(n));
  for (int m = 0; m < n; ++m) {
    const long double a = 2 * std::numbers::pi_v<long double> * m / n;
    c[static_cast<size_t>(m)] = std::cos(a);
    s[static_cast<size_t>(m)] = std::sin(a);
  }
  std::vector<double> out(static_cast<size_t>(n / 2 + 1));
  for (int b = 0; b <= n / 2; ++b) {
    long double re = 0, im = 0;
    for (int k = 0; k < n; ++k) {
      const auto m = static_cast<size_t>((static_cast<int64_t>(b) * k) % n);
      const long double x = static_cast<long double>(frame[k]) * window[k];
      re += x * c[m];
      im -= x * s[m];
    }
    out[static_cast<size_t>(b)] = static_cast<double>(re * re + im * im);
  }
  return out;
}

}  // namespace ser::dsp
