#include "experiments/timeline.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "experiments/stream_classifier.hpp"

namespace ser::experiments {

void TimelineOptions::register_settings(Settings& s) {
  windows.register_settings(s);
  s.number("min_pause", min_pause, 0, 3600, "a silence shorter than this does not end a stretch of sound").unit("s");
  s.number("lead_in", lead_in, 0, 60,
           "seconds of silence before a stretch's onset its first window takes in, as training files open with some "
           "(TESS ~0.25, RAVDESS ~1)")
      .unit("s");
  s.number("tail", tail, 0, 60, "seconds of silence after a stretch's end its windows may take in").unit("s");
  s.flag("gate", gate, "cutting the recording at its pauses into stretches of sound (off: one stretch, silence and all)");
  silence.register_settings(s);
}

namespace {

constexpr int64_t kBlock = 1 << 16;  // source samples per push: progress and bounded scratch

// split()'s intervals with pauses shorter than `min_gap` samples closed.
std::vector<dsp::Interval> stretches(std::vector<dsp::Interval> sound, int64_t min_gap) {
  std::vector<dsp::Interval> out;
  for (const auto& i : sound) {
    if (!out.empty() && i.start - out.back().end < min_gap)
      out.back().end = i.end;
    else
      out.push_back(i);
  }
  return out;
}

int argmax(const std::vector<float>& p) {
  return static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin());
}

// The windows of one stretch [first, last] of frames: every `step` from the
// first frame while a whole window fits, then one ending at the last frame;
// a stretch shorter than a window is one window of its own frames.
void cut_stretch(int64_t first, int64_t last, int64_t T, int64_t step, int stretch, std::vector<TimelineWindow>& out) {
  const int64_t frames = last - first + 1;
  if (frames <= T) {
    out.push_back({first, frames, stretch, 0, 0, 0, 0, {}, {}, -1});
    return;
  }
  int64_t f = first;
  for (; f + T - 1 <= last; f += step) out.push_back({f, T, stretch, 0, 0, 0, 0, {}, {}, -1});
  if (out.back().first_frame + T - 1 < last - step / 2) out.push_back({last - T + 1, T, stretch, 0, 0, 0, 0, {}, {}, -1});
}

// Centred mean over up to `width` neighbours of the same stretch.
void smooth_windows(std::vector<TimelineWindow>& w, int width) {
  const int half = (width - 1) / 2;
  for (size_t i = 0; i < w.size(); ++i) {
    std::vector<double> sum(w[i].probabilities.size(), 0.0);
    int n = 0;
    for (int d = -half; d <= width - 1 - half; ++d) {
      const auto j = static_cast<int64_t>(i) + d;
      if (j < 0 || j >= static_cast<int64_t>(w.size()) || w[static_cast<size_t>(j)].stretch != w[i].stretch) continue;
      for (size_t c = 0; c < sum.size(); ++c) sum[c] += w[static_cast<size_t>(j)].probabilities[c];
      ++n;
    }
    w[i].smoothed.resize(sum.size());
    for (size_t c = 0; c < sum.size(); ++c) w[i].smoothed[c] = static_cast<float>(sum[c] / n);
    w[i].label = argmax(w[i].smoothed);
  }
}

// What each window stands for: the hop around its centre, the first of a
// stretch from the stretch's onset, the last to its end.
void own_spans(Timeline& t) {
  const double half_hop = t.hop_seconds / 2;
  for (size_t i = 0; i < t.windows.size(); ++i) {
    TimelineWindow& w = t.windows[i];
    const dsp::Interval& st = t.sound[static_cast<size_t>(w.stretch)];
    const double s0 = static_cast<double>(st.start) / t.sample_rate, s1 = static_cast<double>(st.end) / t.sample_rate;
    const bool opens = i == 0 || t.windows[i - 1].stretch != w.stretch;
    const bool closes = i + 1 == t.windows.size() || t.windows[i + 1].stretch != w.stretch;
    const double centre = (w.start + w.end) / 2;
    w.own_start = opens ? s0 : std::clamp(centre - half_hop, s0, s1);
    w.own_end = closes ? s1 : std::clamp(centre + half_hop, s0, s1);
  }
}

// Runs of one label within a stretch.
std::vector<TimelineSegment> segments_of(const Timeline& t) {
  std::vector<TimelineSegment> out;
  for (size_t i = 0; i < t.windows.size(); ++i) {
    const TimelineWindow& w = t.windows[i];
    const bool opens = i == 0 || t.windows[i - 1].stretch != w.stretch;
    if (!opens && out.back().label == w.label) {
      TimelineSegment& s = out.back();
      s.end = w.own_end;
      ++s.windows;
      for (size_t c = 0; c < s.mean.size(); ++c) s.mean[c] += w.smoothed[c];
      continue;
    }
    out.push_back({w.own_start, w.own_end, w.label, 1, std::vector<double>(w.smoothed.begin(), w.smoothed.end())});
  }
  for (auto& s : out)
    for (double& m : s.mean) m /= s.windows;
  return out;
}

void envelope(std::span<const float> y, Timeline& t) {
  const int64_t per = std::max<int64_t>(1, t.sample_rate / Timeline::kEnvelopeRate);
  for (size_t at = 0; at < y.size(); at += static_cast<size_t>(per)) {
    const auto end = y.begin() + static_cast<int64_t>(std::min(y.size(), at + static_cast<size_t>(per)));
    const auto [lo, hi] = std::minmax_element(y.begin() + static_cast<int64_t>(at), end);
    t.envelope_min.push_back(*lo);
    t.envelope_max.push_back(*hi);
  }
}

}  // namespace

Timeline make_timeline(EmotionPredictor& predictor, const dsp::Audio& audio, const TimelineOptions& o,
                       const std::function<void(int64_t, int64_t)>& progress) {
  StreamClassifier sc(predictor, audio.sample_rate, o.windows.window);
  const std::span<const float> y(audio.samples);
  sc.reserve(static_cast<int64_t>(y.size()));
  for (size_t at = 0; at < y.size(); at += kBlock) sc.push(y.subspan(at, std::min<size_t>(kBlock, y.size() - at)));
  sc.finish();

  Timeline t;
  t.seconds = audio.seconds();
  t.sample_rate = sc.model_rate();
  t.labels = predictor.labels();
  const int64_t n = sc.samples();
  const std::span<const float> model_rate = sc.held();
  envelope(model_rate, t);
  const int64_t T = sc.window_frames(), hop = sc.hop_samples();
  const int64_t step = o.windows.step_frames(t.sample_rate, static_cast<int>(hop));
  t.hop_seconds = sc.seconds_of_frame(step);
  t.window_seconds = sc.seconds_of_frame(T);
  t.sound = o.gate ? stretches(dsp::split(model_rate, o.silence), std::llround(o.min_pause * t.sample_rate))
                   : std::vector<dsp::Interval>{{0, n}};
  // split() measures against the loudest frame; a recording of digital
  // silence has nothing to measure against, and no sound at all.
  const auto peak = std::max_element(model_rate.begin(), model_rate.end(), [](float a, float b) { return std::abs(a) < std::abs(b); });
  if (o.gate && (peak == model_rate.end() || std::abs(*peak) < 1e-5f)) t.sound.clear();
  for (size_t k = 0; k < t.sound.size(); ++k) {
    // Frames whose centres lie in the stretch, its lead-in and its tail.
    const int64_t before = o.gate ? std::llround(o.lead_in * t.sample_rate) : 0;
    const int64_t after = o.gate ? std::llround(o.tail * t.sample_rate) : 0;
    const int64_t first = std::clamp<int64_t>((t.sound[k].start - before) / hop, 0, sc.frames() - 1);
    const int64_t last = std::clamp((t.sound[k].end - 1 + after) / hop, first, sc.frames() - 1);
    cut_stretch(first, last, T, step, static_cast<int>(k), t.windows);
  }
  const auto total = static_cast<int64_t>(t.windows.size());
  for (int64_t i = 0; i < total; ++i) {
    TimelineWindow& w = t.windows[static_cast<size_t>(i)];
    w.start = static_cast<double>(w.first_frame * hop) / t.sample_rate;
    w.end = std::min(static_cast<double>((w.first_frame + w.frames) * hop), static_cast<double>(n)) / t.sample_rate;
    const std::vector<float> x = sc.input(w.first_frame, w.frames);
    w.probabilities = predictor.probabilities(x);
    if (o.keep_inputs) t.inputs.insert(t.inputs.end(), x.begin(), x.end());
    if (progress) progress(i + 1, total);
  }
  smooth_windows(t.windows, o.windows.smooth);
  own_spans(t);
  t.segments = segments_of(t);
  return t;
}

namespace {
std::string clock_hundredths(double s) {
  char b[32];
  const int m = static_cast<int>(s / 60);
  std::snprintf(b, sizeof(b), "%d:%05.2f", m, s - 60.0 * m);
  return b;
}
}  // namespace

std::string timeline_table(const Timeline& t) {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof(line), "%s: %.2f s, %zu stretches of sound, windows of %.2f s every %.2f s: %zu windows, %zu segments\n",
                t.file.c_str(), t.seconds, t.sound.size(), t.window_seconds, t.hop_seconds, t.windows.size(),
                t.segments.size());
  out += line;
  if (t.windows.empty()) return out + "  no sound: every frame is silence (see --silence-top-db)\n";
  out += "  start      end        emotion      probability  windows\n";
  for (const auto& s : t.segments) {
    std::snprintf(line, sizeof(line), "  %-10s %-10s %-12s %11.2f  %7d\n", clock_hundredths(s.start).c_str(),
                  clock_hundredths(s.end).c_str(), t.labels[static_cast<size_t>(s.label)].c_str(),
                  s.mean[static_cast<size_t>(s.label)], s.windows);
    out += line;
  }
  return out;
}

namespace {
nlohmann::ordered_json by_label(const std::vector<std::string>& labels, const auto& values) {
  nlohmann::ordered_json j;
  for (size_t c = 0; c < labels.size(); ++c) j[labels[c]] = static_cast<double>(values[c]);
  return j;
}
}  // namespace

std::string timeline_json(const Timeline& t) {
  nlohmann::ordered_json j;
  j["file"] = t.file;
  j["seconds"] = t.seconds;
  j["sample_rate"] = t.sample_rate;
  j["window_seconds"] = t.window_seconds;
  j["hop_seconds"] = t.hop_seconds;
  j["labels"] = t.labels;
  j["stretches"] = nlohmann::ordered_json::array();
  for (const auto& i : t.sound)
    j["stretches"].push_back({static_cast<double>(i.start) / t.sample_rate, static_cast<double>(i.end) / t.sample_rate});
  j["segments"] = nlohmann::ordered_json::array();
  for (const auto& s : t.segments)
    j["segments"].push_back({{"start", s.start}, {"end", s.end}, {"emotion", t.labels[static_cast<size_t>(s.label)]},
                             {"windows", s.windows}, {"probabilities", by_label(t.labels, s.mean)}});
  j["windows"] = nlohmann::ordered_json::array();
  for (const auto& w : t.windows) {
    j["windows"].push_back({{"start", w.start}, {"end", w.end}, {"stretch", w.stretch}, {"frames", w.frames},
                            {"emotion", t.labels[static_cast<size_t>(w.label)]},
                            {"probabilities", by_label(t.labels, w.probabilities)},
                            {"smoothed", by_label(t.labels, w.smoothed)}});
  }
  return j.dump(1) + "\n";
}

std::string timeline_csv(const Timeline& t) {
  std::string out = "kind,start,end,emotion";
  for (const auto& l : t.labels) out += ",p_" + l;
  out += "\n";
  char v[64];
  auto row = [&](const char* kind, double a, double b, int label, const auto& p) {
    std::snprintf(v, sizeof(v), "%s,%.4f,%.4f,", kind, a, b);
    out += v + t.labels[static_cast<size_t>(label)];
    for (size_t c = 0; c < t.labels.size(); ++c) {
      std::snprintf(v, sizeof(v), ",%.6f", static_cast<double>(p[c]));
      out += v;
    }
    out += "\n";
  };
  for (const auto& s : t.segments) row("segment", s.start, s.end, s.label, s.mean);
  for (const auto& w : t.windows) row("window", w.start, w.end, w.label, w.smoothed);
  return out;
}

}  // namespace ser::experiments
