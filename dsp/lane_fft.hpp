#pragma once
// Power spectra of real frames in single precision, eight at a time, one
// frame per SIMD lane: Stft's path for precision: single at power-of-two
// sizes (FFTW keeps the rest, and double precision).
//
// FFTW's transforms were 56% of an MFCC call on this project's AVX2 machines
// (bench/README.md): 5.4 us per 2048-point frame with a reproducible
// (FFTW_ESTIMATE) single-precision plan. Eight frames side by side make the
// FFT's scalar arithmetic full-width vector arithmetic with no shuffles, and
// the window, the real-input split and |X|^2 fold into the same passes. A
// four-lane double version of the same kernel was no faster than FFTW here
// (6.1 us per frame with window and power): on Zen's 128-bit units the
// stores of a radix-4 pass decide, and eight floats per store halve them.

#include <cstdint>
#include <vector>

namespace ser::dsp {

class LaneFft {
 public:
  static constexpr int kLanes = 8;
  // Whether this build's kernel is the fast one. Without AVX the eight lanes
  // are two SSE halves and the load is scalar: 4.6x slower than FFTW, so Stft
  // keeps FFTW there (the kernel still works, and is tested, on any x86-64).
#ifdef __AVX__
  static constexpr bool kVectorised = true;
#else
  static constexpr bool kVectorised = false;
#endif
  // Whether n points can go through this transform: a power of two from 16.
  static bool supports(int n);
  explicit LaneFft(int n);

  // power[b * kLanes + j] = |X_j[b]|^2, X_j the DFT of frames[j][k] * window[k]
  // (k < n), for bins b = 0 .. n/2: window, transform and |X|^2 in single
  // precision, the result widened to double. `scratch` is reused between calls.
  void power(const float* const frames[kLanes], const float* window, double* power,
             std::vector<float>& scratch) const;
  int size() const { return n_; }

 private:
  int n_ = 0, half_ = 0;  // half_ = n/2: the complex FFT's size
  // cos and sin of 2 pi k / n for k < n, rounded to float: the complex FFT's
  // twiddles (even k; radix 4 reaches 3/4 of the circle) and the real
  // split's (k <= n/2).
  std::vector<float> cos_, sin_;
  std::vector<int32_t> reversed_;  // bit reversal over log2(n/2) bits
};

// The naive twin: the power spectrum of one frame by the direct DFT in long
// double (tests hold the fast kernel to it).
std::vector<double> dft_power_naive(const float* frame, const float* window, int n);

}  // namespace ser::dsp
