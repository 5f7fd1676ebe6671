#pragma once
// Short-time Fourier transform as librosa.stft (0.10): periodic window of
// win_length samples centred in n_fft, frames every hop_length samples, with
// `center` padding n_fft/2 on both sides (constant, reflect or edge, numpy's
// rules). Computed in double with FFTW; in single precision, power spectra of
// power-of-two sizes go through LaneFft (eight frames at a time), the rest
// through FFTW's single-precision plan.

#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "common/settings.hpp"
#include "dsp/matrix.hpp"

namespace ser::dsp {

enum class WindowKind { hann, hamming, rectangular };
// The arithmetic of the FFT. librosa computes in float32 (complex64) for
// float32 audio; double agrees with librosa on float64 input to ~1e-12.
enum class Precision { single, double_ };
enum class PadMode { constant, reflect, edge };

// The limit of n_fft, hop and win_length settings (beyond it a setting is a
// typo, not research).
inline constexpr int kMaxFft = 1 << 16;

// scipy.signal.get_window(kind, length, fftbins=True): the periodic window.
std::vector<double> periodic_window(WindowKind kind, int length);

// numpy.pad of `y` by `before` and `after` samples.
std::vector<double> pad_signal(std::span<const float> y, int64_t before, int64_t after, PadMode mode);

struct StftOptions {
  int n_fft = 2048;
  int hop_length = 0;  // 0: n_fft / 4
  int win_length = 0;  // 0: n_fft
  WindowKind window = WindowKind::hann;
  bool center = true;
  PadMode pad_mode = PadMode::constant;  // librosa 0.10's default
  Precision precision = Precision::double_;
  void register_settings(Settings& s);
};

// FFTW's planner is not thread-safe (executing a plan is): every FFTW plan
// in ser is made and destroyed under this lock.
std::mutex& fftw_planner_mutex();

// Each plan is made once per Stft, on first use (under the planner lock),
// and executed with FFTW's new-array interface, so one Stft may be used from
// many threads at once. FFTW_ESTIMATE planning keeps results identical run
// to run.
class Stft {
 public:
  explicit Stft(const StftOptions& options);
  ~Stft();
  Stft(const Stft&) = delete;
  Stft& operator=(const Stft&) = delete;

  // |X|^power, shape [1 + n_fft/2, frames]. Throws std::invalid_argument
  // when the signal is shorter than n_fft without centring.
  Matrix spectrogram(std::span<const float> y, double power = 1.0) const;
  // The complex STFT, [1 + n_fft/2, frames].
  ComplexMatrix transform(std::span<const float> y) const;
  // Streams |X|^2 to `sink(first_frame, count, power)` `block` frames at a
  // time without building the whole spectrogram. The block is bin-major, as
  // a spectrogram's columns: power[b * block + j] is bin b of frame
  // first_frame + j, for j < count (the last block may be short; its other
  // slots hold stale values). The sink may overwrite the block.
  using PowerSink = std::function<void(int64_t first_frame, int count, double* power)>;
  void for_each_power_block(std::span<const float> y, int block, const PowerSink& sink) const;
  // librosa.istft: windowed overlap-add divided by the summed squared window,
  // trimmed of the centring and fixed to `length` samples.
  std::vector<float> inverse(const ComplexMatrix& spectrum, int64_t length) const;
  int64_t frame_count(int64_t samples) const;
  const StftOptions& options() const { return o_; }
  int bins() const { return o_.n_fft / 2 + 1; }

 private:
  StftOptions o_;
  std::vector<double> window_;  // n_fft long, zero outside win_length
  std::vector<float> window_single_;  // the same rounded to float, for LaneFft (single precision only)
  struct Plans;
  std::unique_ptr<Plans> plans_;
  // Power spectra through LaneFft: single precision, a power-of-two n_fft, an AVX build.
  bool uses_lanes() const;
  // Calls f(frame index, interleaved re/im spectrum of that frame) for every frame of y.
  template <typename Real, typename F>
  void for_each_frame(std::span<const float> y, F&& f) const;
};

}  // namespace ser::dsp
