#pragma once
// Power spectra of real frames, four at a time, one frame per SIMD lane.
//
// FFTW's transforms were 56% of an MFCC call on this project's AVX2 machines
// (bench/README.md), at 5.8 us per 2048-point frame with a reproducible
// (FFTW_ESTIMATE) plan. Four frames side by side turn the radix-2/4 FFT's
// scalar arithmetic into full-width vector arithmetic with no shuffles, and
// the window, the real-input split and |X|^2 fold into the same passes.
// Double precision, as Stft's default; power-of-two sizes only (Stft keeps
// FFTW for the rest).

#include <cstdint>
#include <vector>

namespace ser::dsp {

class LaneFft {
 public:
  static constexpr int kLanes = 4;
  // Whether n points can go through this transform: a power of two from 16.
  static bool supports(int n);
  explicit LaneFft(int n);

  // power[b * stride + j] = |sum_k frame_j[k] window[k] e^{-2 pi i b k / n}|^2
  // for the kLanes frames (each n samples) and bins b = 0 .. n/2. `scratch`
  // is reused between calls (n doubles per lane and part).
  void power(const float* const frames[kLanes], const double* window, double* power, int64_t stride,
             std::vector<double>& scratch) const;
  int size() const { return n_; }

 private:
  int n_ = 0, half_ = 0;  // half_ = n/2: the complex FFT's size
  // cos and sin of 2 pi k / n for k < n: the complex FFT's twiddles (even k,
  // radix 4 reaching 3/4 of the circle) and the real split's (k <= n/2).
  std::vector<double> cos_, sin_;
  std::vector<int32_t> reversed_;  // bit reversal over log2(n/2) bits
};

// The naive twin: the same power spectrum of one frame by the direct DFT, in
// long double (tests hold the fast kernel to it).
std::vector<double> dft_power_naive(const float* frame, const double* window, int n);

}  // namespace ser::dsp
