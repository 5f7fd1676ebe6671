#pragma once
// An audio model listening to a stream: samples in at the source's rate,
// resampled in a stream to the model's rate, each feature set computed
// frame by frame (dsp::FeatureStream), and any window of the model's input
// length classified. The offline timeline pushes a whole file through it,
// `ser listen` a microphone or a pipe, so both give the same windows the
// same bits.

#include <cstdint>
#include <span>
#include <vector>

#include "dsp/feature_stream.hpp"
#include "common/settings.hpp"
#include "dsp/resample.hpp"
#include "experiments/predict.hpp"

namespace ser::experiments {

// How windows lie on a stream, for the timeline and for listening alike.
struct WindowOptions {
  double hop = 0.5;    // seconds between window starts
  int smooth = 3;      // windows averaged for a window's label (1: none)
  double window = 0;   // seconds, for models that pool over time; 0: the model's input length
  void register_settings(Settings& s);  // hop, smooth, window
  // Frames between window starts on a grid of hop_samples at `rate`.
  int64_t step_frames(int rate, int hop_samples) const;
};

class StreamClassifier {
 public:
  // window_seconds: 0 takes the model's own input length (its frame count,
  // or its clip duration when it pools every frame). Throws for models whose
  // feature sets do not share one frame grid, or with no input length.
  StreamClassifier(EmotionPredictor& predictor, int source_rate, double window_seconds = 0);

  void push(std::span<const float> source_samples);
  void finish();

  int model_rate() const { return rate_; }
  int hop_samples() const { return hop_; }       // frames step this many model-rate samples
  int64_t window_frames() const { return window_frames_; }
  double seconds_of_frame(int64_t frame) const { return static_cast<double>(frame) * hop_ / rate_; }
  int64_t frames() const;                        // frames of every set computed so far
  int64_t samples() const { return samples_end_; }  // model-rate samples so far
  // The window starting at frame `first` is complete (or the stream ended).
  bool ready(int64_t first) const;
  // The model's input for the window at `first` (assembled and scaled).
  // `count` < window_frames() takes only that many frames and pads the
  // rest as training padded a short file (a window cut at a pause).
  std::vector<float> input(int64_t first, int64_t count = -1) const;
  std::vector<float> classify(int64_t first, int64_t count = -1) {
    return predictor_.probabilities(input(first, count));
  }
  // Model-rate samples [from, to) of those still held.
  std::vector<float> samples(int64_t from, int64_t to) const;
  // Every model-rate sample held, from the first not forgotten.
  std::span<const float> held() const { return held_; }
  // Room for this many source samples (a whole file: no copies as it grows).
  void reserve(int64_t source_samples);
  // Frames and samples before this frame will not be asked for again.
  void forget_before(int64_t frame);

 private:
  EmotionPredictor& predictor_;
  int rate_ = 0, source_rate_ = 0, hop_ = 0;
  int64_t window_frames_ = 0;
  dsp::StreamResampler resampler_;
  std::vector<dsp::FeatureStream> streams_;
  std::vector<float> pending_;  // resampled, not yet handed to the streams
  std::vector<float> held_;     // model-rate samples from held_start_
  int64_t held_start_ = 0, samples_end_ = 0;
  bool finished_ = false;
};

}  // namespace ser::experiments
