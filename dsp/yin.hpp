#pragma once
// Fundamental frequency by YIN (de Cheveigné and Kawahara 2002) as
// librosa.yin computes it (0.10.1): frames of n_fft samples every hop,
// centred with the STFT's padding; in each, the cumulative mean normalised
// difference over the periods sample_rate/fmax .. sample_rate/fmin, the
// first trough below the threshold (else the global minimum), refined by a
// parabola through its neighbours. Everything in double, from the same
// sums in the same order as numpy's, so the values match librosa on float64
// signals to rounding. pYIN (dsp/pyin) builds on the same difference.

#include <span>
#include <vector>

#include "common/settings.hpp"
#include "dsp/framewise.hpp"
#include "dsp/matrix.hpp"
#include "dsp/stft.hpp"

namespace ser::dsp {

// The search range of yin and pyin, librosa's example defaults (C2 to C7).
struct PitchRange {
  double fmin = 65.40639132514966;   // librosa.note_to_hz('C2')
  double fmax = 2093.004522404789;   // librosa.note_to_hz('C7')
  int window = 0;                    // samples summed per lag; 0: n_fft / 2 (librosa's win_length)
  void register_settings(Settings& s);
};

struct YinOptions {
  double threshold = 0.1;  // librosa's trough_threshold
  void register_settings(Settings& s);
};

// What a frame is searched over, checked as librosa checks it.
struct YinLags {
  int frame_length = 0, window = 0, min_period = 0, max_period = 0;
  int count() const { return max_period - min_period + 1; }
};
// Throws std::invalid_argument naming the settings to change when fmax is
// above Nyquist, fmin >= fmax, or the frame is too short for fmax.
YinLags yin_lags(int sample_rate, int frame_length, const PitchRange& range);

// The cumulative mean normalised difference of one frame (frame_length
// samples) at lags min_period .. max_period, into `out` (count() values).
void yin_difference(std::span<const double> frame, const YinLags& lags, std::vector<double>& out);
// Where the parabola through each point and its neighbours has its optimum,
// relative to the point (0 at the ends and when it lies beyond a neighbour).
std::vector<double> parabolic_shifts(std::span<const double> d);
// librosa's troughs: local minima (strictly below the left neighbour, not
// above the right), the first point if below the second, the last if below
// the one before.
std::vector<bool> yin_troughs(std::span<const double> d);

// The padded signal's frames as double, and how many: librosa.util.frame.
struct Frames {
  std::vector<double> padded;
  int64_t count = 0;
};
Frames framed(std::span<const float> y, const FrameOptions& frames, PadMode pad_mode);

// f0 in Hz of each frame, [1, frames].
Matrix yin(std::span<const float> y, int sample_rate, const FrameOptions& frames, PadMode pad_mode,
           const PitchRange& range, const YinOptions& options = {});

}  // namespace ser::dsp
