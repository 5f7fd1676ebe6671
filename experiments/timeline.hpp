#pragma once
// Emotion through a long recording. The recording goes through a
// StreamClassifier once. Its stretches of sound (librosa's split; pauses
// shorter than min_pause do not count) are cut into windows of the model's
// input length every `hop` seconds, the first at the stretch's onset and
// the last ending at its end; a stretch shorter than a window is one window,
// padded as training padded a short file. Neighbouring windows of a stretch
// are averaged (`smooth`) and runs of one emotion become segments.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/settings.hpp"
#include "dsp/audio.hpp"
#include "dsp/silence.hpp"
#include "experiments/predict.hpp"
#include "experiments/stream_classifier.hpp"

namespace ser::experiments {

struct TimelineOptions {
  WindowOptions windows;   // smoothing centred, within a stretch of sound
  double min_pause = 0.3;  // seconds: a shorter silence does not end a stretch of sound
  // Training files open and close with some silence; a model expects it
  // (TESS files about 0.25 s, RAVDESS about a second). A stretch's windows
  // take in this much of the silence before its onset and after its end.
  double lead_in = 0.25, tail = 0.25;
  bool gate = true;        // false: the whole recording is one stretch, silence or not
  // librosa's default floor, 60 dB under the loudest frame, takes a quiet
  // room's hum for sound; 30 dB parts words in a recording with background noise.
  dsp::SilenceOptions silence{.top_db = 30};
  bool keep_inputs = false;  // keep every window's model input (Timeline::inputs), not a setting
  void register_settings(Settings& s);
};

struct TimelineWindow {
  int64_t first_frame = 0, frames = 0;  // frames beyond the stretch's end are padding
  int stretch = 0;                      // which stretch of sound
  double start = 0, end = 0;            // seconds
  // The part of the recording it stands for: the hop around its centre; the
  // first of a stretch from the stretch's onset, the last to its end.
  double own_start = 0, own_end = 0;
  std::vector<float> probabilities, smoothed;  // in the model's label order
  int label = -1;                              // argmax of smoothed
};

struct TimelineSegment {
  double start = 0, end = 0;
  int label = -1;
  int windows = 0;
  std::vector<double> mean;  // mean smoothed probability per class
};

struct Timeline {
  std::string file;
  double seconds = 0;
  int sample_rate = 0;  // the model's
  double window_seconds = 0, hop_seconds = 0;
  std::vector<std::string> labels;
  std::vector<TimelineWindow> windows;
  std::vector<TimelineSegment> segments;
  std::vector<dsp::Interval> sound;  // the stretches of sound, model-rate samples
  // The waveform for pictures: the least and greatest sample of every
  // 1/kEnvelopeRate s.
  static constexpr int kEnvelopeRate = 200;
  std::vector<float> envelope_min, envelope_max;
  std::vector<float> inputs;  // with keep_inputs: each window's model input, in window order
};

// progress(done, total) is called as windows are classified.
Timeline make_timeline(EmotionPredictor& predictor, const dsp::Audio& audio, const TimelineOptions& options,
                       const std::function<void(int64_t, int64_t)>& progress = {});

// Outputs. The table is for a terminal; JSON and CSV hold every window and
// segment with every class probability.
std::string timeline_table(const Timeline& t);
std::string timeline_json(const Timeline& t);
std::string timeline_csv(const Timeline& t);

}  // namespace ser::experiments
