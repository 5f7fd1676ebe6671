#include "experiments/listener.hpp"

#include <algorithm>
#include <cmath>

namespace ser::experiments {

void ListenOptions::register_settings(Settings& s) {
  windows.register_settings(s);
  s.number("gate_dbfs", gate_dbfs, -200, 0, "a window quieter than this throughout is silence, not classified")
      .unit("dBFS");
  s.flag("gate", gate, "skipping silent windows (off: every window is classified)");
}

Listener::Listener(EmotionPredictor& predictor, int source_rate, const ListenOptions& o, OnWindow on_window)
    : predictor_(predictor), o_(o), on_window_(std::move(on_window)), sc_(predictor, source_rate, o.windows.window),
      source_rate_(source_rate) {
  step_ = o.windows.step_frames(sc_.model_rate(), sc_.hop_samples());
}

void Listener::feed(std::span<const float> samples, std::chrono::steady_clock::time_point arrived) {
  samples_ += static_cast<int64_t>(samples.size());
  sc_.push(samples);
  classify_ready(arrived);
}

void Listener::finish() {
  const auto arrived = std::chrono::steady_clock::now();
  sc_.finish();
  classify_ready(arrived);
}

// The loudest RMS over stretches of one hop within the window, in dB against full scale.
double Listener::level_dbfs(int64_t first) const {
  const int64_t hop = sc_.hop_samples();
  const std::vector<float> y = sc_.samples(first * hop, (first + sc_.window_frames()) * hop);
  double loudest = 0;
  for (size_t at = 0; at < y.size(); at += static_cast<size_t>(hop)) {
    const size_t end = std::min(y.size(), at + static_cast<size_t>(hop));
    double sum = 0;
    for (size_t i = at; i < end; ++i) sum += double{y[i]} * y[i];
    loudest = std::max(loudest, sum / static_cast<double>(end - at));
  }
  return 10 * std::log10(std::max(loudest, 1e-20));
}

void Listener::classify_ready(std::chrono::steady_clock::time_point arrived) {
  while (next_ + sc_.window_frames() <= sc_.frames()) {
    ListenWindow w;
    w.index = index_++;
    w.first_frame = next_;
    w.start = sc_.seconds_of_frame(next_);
    w.end = sc_.seconds_of_frame(next_ + sc_.window_frames());
    w.level_dbfs = level_dbfs(next_);
    w.silent = o_.gate && w.level_dbfs < o_.gate_dbfs;
    if (w.silent) {
      recent_.clear();  // a pause separates what is smoothed
    } else {
      std::vector<float> x = sc_.input(next_);
      w.probabilities = predictor_.probabilities(x);
      if (keep_inputs) w.input = std::move(x);
      recent_.push_back(w.probabilities);
      if (static_cast<int>(recent_.size()) > o_.windows.smooth) recent_.erase(recent_.begin());
      w.smoothed.assign(w.probabilities.size(), 0.0f);
      for (const auto& p : recent_)
        for (size_t c = 0; c < p.size(); ++c) w.smoothed[c] += p[c] / static_cast<float>(recent_.size());
      w.label = static_cast<int>(std::max_element(w.smoothed.begin(), w.smoothed.end()) - w.smoothed.begin());
      w.latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - arrived).count();
      latencies_ms_.push_back(w.latency_ms);
    }
    next_ += step_;
    sc_.forget_before(next_);  // the ring: only what the next windows need stays
    on_window_(w);
  }
}

LatencySummary Listener::latency() const {
  LatencySummary s;
  s.windows = static_cast<int64_t>(latencies_ms_.size());
  if (latencies_ms_.empty()) return s;
  std::vector<double> v = latencies_ms_;
  std::sort(v.begin(), v.end());
  s.median_ms = v[v.size() / 2];
  s.p99_ms = v[std::min(v.size() - 1, static_cast<size_t>(std::ceil(0.99 * static_cast<double>(v.size()))) - 1)];
  s.max_ms = v.back();
  return s;
}

}  // namespace ser::experiments
