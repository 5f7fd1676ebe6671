#include "experiments/stream_classifier.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace ser::experiments {

void WindowOptions::register_settings(Settings& s) {
  s.number("hop", hop, 0.01, 3600, "seconds between the starts of neighbouring windows").unit("s");
  s.integer("smooth", smooth, 1, 1000,
            "windows averaged before each window's label (centred in a timeline, the last ones live); 1: none");
  s.number("window", window, 0.05, 3600, "window length for models that pool over time")
      .unit("s")
      .special(0, "the model's own input length", "model");
}

int64_t WindowOptions::step_frames(int rate, int hop_samples) const {
  return std::max<int64_t>(1, std::llround(hop * rate / static_cast<double>(hop_samples)));
}

namespace {

int rate_of(const ModelInput& in, int source_rate) {
  const int r = in.sets.front().load.sample_rate;
  return r > 0 ? r : source_rate;
}

int hop_of(const dsp::FeatureSpec& s) { return s.stft.hop_length ? s.stft.hop_length : s.stft.n_fft / 4; }

// One frame grid for every set: the same rate, hop and centring.
void check_one_grid(const ModelInput& in) {
  const dsp::FeatureSpec& a = in.sets.front();
  for (const dsp::FeatureSpec& b : in.sets)
    if (b.load.sample_rate != a.load.sample_rate || hop_of(b) != hop_of(a) || b.stft.center != a.stft.center)
      throw std::runtime_error(std::string("the model's feature sets (") + a.kind_name() + ", " + b.kind_name() +
                               ") use different sample rates or hops; a stream needs them on one frame grid");
}

int64_t window_frames_of(const ModelInput& in, int rate, int hop, double window_seconds) {
  if (!in.pooled()) {
    if (window_seconds > 0)
      throw std::runtime_error("the model takes exactly " + std::to_string(in.frames) + " frames (" +
                               std::to_string(static_cast<double>(in.frames) * hop / rate) +
                               " s); a window length can be chosen only for models that pool over time");
    return in.frames;
  }
  const double seconds = window_seconds > 0 ? window_seconds : in.sets.front().load.duration;
  if (seconds <= 0)
    throw std::runtime_error("the model pools every frame of whole files and has no clip duration; give the window "
                             "length in seconds (--window)");
  return 1 + static_cast<int64_t>(std::floor(seconds * rate / hop));
}

}  // namespace

StreamClassifier::StreamClassifier(EmotionPredictor& predictor, int source_rate, double window_seconds)
    : predictor_(predictor),
      rate_(rate_of(predictor.input(), source_rate)),
      source_rate_(source_rate),
      hop_(hop_of(predictor.input().sets.front())),
      resampler_(source_rate, rate_of(predictor.input(), source_rate),
                 predictor.input().sets.front().load.quality) {
  const ModelInput& in = predictor.input();
  check_one_grid(in);
  window_frames_ = window_frames_of(in, rate_, hop_, window_seconds);
  for (const dsp::FeatureSpec& spec : in.sets) streams_.emplace_back(spec, rate_);
}

void StreamClassifier::push(std::span<const float> source) {
  if (finished_) throw std::logic_error("StreamClassifier: push after finish");
  pending_.clear();
  resampler_.push(source, pending_);
  for (dsp::FeatureStream& s : streams_) s.push(pending_);
  held_.insert(held_.end(), pending_.begin(), pending_.end());
  samples_end_ += static_cast<int64_t>(pending_.size());
}

void StreamClassifier::finish() {
  if (finished_) return;
  pending_.clear();
  resampler_.finish(pending_);
  for (dsp::FeatureStream& s : streams_) {
    s.push(pending_);
    if (s.samples() > 0) s.finish();
  }
  held_.insert(held_.end(), pending_.begin(), pending_.end());
  samples_end_ += static_cast<int64_t>(pending_.size());
  finished_ = true;
}

void StreamClassifier::reserve(int64_t source_samples) {
  const double ratio = static_cast<double>(rate_) / source_rate_;
  held_.reserve(static_cast<size_t>(std::ceil(static_cast<double>(source_samples) * ratio)) + 16);
}

int64_t StreamClassifier::frames() const {
  int64_t n = streams_.front().frames();
  for (const auto& s : streams_) n = std::min(n, s.frames());
  return n;
}

bool StreamClassifier::ready(int64_t first) const {
  return first + window_frames_ <= frames() || (finished_ && first < std::max<int64_t>(frames(), 1));
}

std::vector<float> StreamClassifier::input(int64_t first, int64_t count) const {
  // At the very end a window may run past the last frame: it takes what is
  // there and the model input pads it, as a short training file is padded.
  count = std::min({count < 0 ? window_frames_ : count, window_frames_, frames() - first});
  std::vector<dsp::Matrix> features;
  for (const auto& s : streams_) features.push_back(s.window(first, count));
  return predictor_.input_of(std::move(features));
}

std::vector<float> StreamClassifier::samples(int64_t from, int64_t to) const {
  from = std::max(from, held_start_);
  to = std::min(to, samples_end_);
  if (to <= from) return {};
  return {held_.begin() + (from - held_start_), held_.begin() + (to - held_start_)};
}

void StreamClassifier::forget_before(int64_t frame) {
  for (auto& s : streams_) s.forget_before(frame);
  // Keep the samples from where that frame begins (its centre less n_fft/2).
  const int64_t reach = predictor_.input().sets.front().stft.n_fft / 2;
  const int64_t keep = std::clamp<int64_t>(frame * hop_ - reach, held_start_, samples_end_);
  held_.erase(held_.begin(), held_.begin() + (keep - held_start_));
  held_start_ = keep;
}

}  // namespace ser::experiments
