#pragma once
// Probabilistic YIN (Mauch and Dixon 2014) as librosa.pyin computes it
// (0.10.1, which follows the authors' software rather than the paper): each
// frame's YIN troughs get probabilities from a beta prior over thresholds
// and a Boltzmann prior favouring short periods; those fall into pitch bins
// of `resolution` semitones, voiced beside unvoiced states; a Viterbi pass
// through a local (triangular) pitch transition and a voicing switch picks
// the track. Two steps, so a stream can do the first per frame:
// pyin_observations (frame by frame) and pyin_decode (a window of frames).

#include <span>
#include <vector>

#include "common/settings.hpp"
#include "dsp/yin.hpp"

namespace ser::dsp {

// librosa's defaults.
struct PyinOptions {
  int n_thresholds = 100;
  double beta_a = 2, beta_b = 18;  // the beta prior over thresholds
  double boltzmann = 2;            // the prior over troughs, shortest period first
  double resolution = 0.1;         // pitch bin width in semitones
  double max_transition_rate = 35.92;  // octaves per second
  double switch_prob = 0.01;       // voiced <-> unvoiced per frame
  double no_trough_prob = 0.01;    // weight of the global minimum when no trough is below a threshold
  void register_settings(Settings& s);
};

// The pitch bins: fmin * 2^(i / (12 * bins per semitone)), i < count.
struct PitchBins {
  int per_semitone = 0, count = 0;
  double fmin = 0;
  double frequency(int i) const;
};
PitchBins pitch_bins(const PitchRange& range, const PyinOptions& options);

// Per frame: the probability of each voiced pitch bin, then the frame's
// voiced probability (their sum, clipped to [0, 1]): [bins + 1, frames].
Matrix pyin_observations(std::span<const float> y, int sample_rate, const FrameOptions& frames, PadMode pad_mode,
                         const PitchRange& range, const PyinOptions& options = {});

// The Viterbi track through observations of consecutive frames.
struct PyinTrack {
  std::vector<int> state;  // < bins: voiced at that bin; >= bins: unvoiced (bin state - bins)
  std::vector<double> f0;  // the state's bin frequency, voiced or not (librosa's fill_na=None)
  std::vector<bool> voiced;
  std::vector<double> voiced_probability;
  double log_probability = 0;  // of the whole path, as Viterbi sums it
};
PyinTrack pyin_decode(const Matrix& observations, int sample_rate, int hop_length, const PitchRange& range,
                      const PyinOptions& options = {});

// The log probability of any path of states, summed as Viterbi sums it: how
// a test tells a tie between two best paths from a worse path.
double pyin_path_log_probability(const Matrix& observations, const std::vector<int>& states, int sample_rate,
                                 int hop_length, const PitchRange& range, const PyinOptions& options = {});

// [3, frames]: f0 in Hz (0 where unvoiced), voiced (0 or 1), voiced probability.
Matrix pyin(std::span<const float> y, int sample_rate, const FrameOptions& frames, PadMode pad_mode,
            const PitchRange& range, const PyinOptions& options = {});
Matrix pyin_rows(const PyinTrack& track);

// Regularised incomplete beta I_x(a, b) (scipy.stats.beta.cdf), by its
// continued fraction; exposed for its test.
double beta_cdf(double x, double a, double b);

}  // namespace ser::dsp
