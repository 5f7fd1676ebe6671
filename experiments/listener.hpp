#pragma once
// Emotion of live audio, window by window: samples arrive in blocks of any
// size (a microphone's callback, a pipe, a file played at its rate), go
// through a StreamClassifier (a stream resampler, features computed only
// for the new frames), and every `hop` seconds the last window of the
// model's input length is classified unless it is silence. Windows lie on
// the same grid as `ser timeline --no-gate`'s, with the same bits.

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "common/settings.hpp"
#include "experiments/stream_classifier.hpp"

namespace ser::experiments {

struct ListenOptions {
  WindowOptions windows;    // smoothing over the last windows: the label shown
  double gate_dbfs = -50;   // a window whose loudest stretch is quieter than this is silence
  bool gate = true;
  void register_settings(Settings& s);
};

struct ListenWindow {
  int64_t index = 0, first_frame = 0;
  double start = 0, end = 0;  // seconds since the stream began
  double level_dbfs = 0;      // the loudest stretch of the window
  bool silent = false;
  std::vector<float> probabilities, smoothed;  // empty when silent
  int label = -1;                              // argmax of smoothed
  double latency_ms = 0;  // from the arrival of the window's last sample to its prediction
  std::vector<float> input;  // the model's input, when kept (keep_inputs)
};

struct LatencySummary {
  int64_t windows = 0;
  double median_ms = 0, p99_ms = 0, max_ms = 0;
};

class Listener {
 public:
  using OnWindow = std::function<void(const ListenWindow&)>;
  Listener(EmotionPredictor& predictor, int source_rate, const ListenOptions& options, OnWindow on_window);
  // The next block (source rate, mono), which arrived at `arrived` (a
  // device's callback time; by default now); classifies every window it completes.
  void feed(std::span<const float> samples,
            std::chrono::steady_clock::time_point arrived = std::chrono::steady_clock::now());
  // The end of the stream: the windows its last samples complete.
  void finish();
  LatencySummary latency() const;
  bool keep_inputs = false;  // hand each window's model input to on_window
  double seconds() const { return static_cast<double>(samples_) / source_rate_; }

 private:
  void classify_ready(std::chrono::steady_clock::time_point arrived);
  double level_dbfs(int64_t first) const;

  EmotionPredictor& predictor_;
  ListenOptions o_;
  OnWindow on_window_;
  StreamClassifier sc_;
  int source_rate_;
  int64_t step_ = 1, next_ = 0, index_ = 0, samples_ = 0;
  std::vector<std::vector<float>> recent_;  // the last smooth windows' probabilities
  std::vector<double> latencies_ms_;
};

}  // namespace ser::experiments
