#include "experiments/timeline_plot.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "experiments/plot_canvas.hpp"

namespace ser::experiments {

namespace {

using plot::colour;
using plot::kGrid;
using plot::kInk;
using plot::text;

constexpr int kLeft = 60, kRight = 20, kTop = 40, kWaveHeight = 170, kGap = 30, kProbHeight = 230, kLegend = 50;

struct Axis {
  double seconds;
  int x0, width;
  int x(double s) const { return x0 + static_cast<int>(std::lround(s / std::max(seconds, 1e-9) * width)); }
};

std::string clock_seconds(double s) {
  char b[32];
  const int m = static_cast<int>(s / 60);
  std::snprintf(b, sizeof(b), "%d:%02d", m, static_cast<int>(s - 60.0 * m));
  return b;
}

// Ticks every 1, 2, 5, 10, ... seconds: about ten along the axis.
void time_ticks(cv::Mat& img, const Axis& a, int y_top, int y_bottom) {
  double step = 1;
  for (const double s : {0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0}) {
    step = s;
    if (a.seconds / s <= 12) break;
  }
  for (double s = 0; s <= a.seconds + 1e-9; s += step) {
    cv::line(img, {a.x(s), y_top}, {a.x(s), y_bottom}, kGrid, 1);
    text(img, step < 1 ? std::to_string(s).substr(0, 4) : clock_seconds(s), {a.x(s) - 14, y_bottom + 16});
  }
}

void waveform(cv::Mat& img, const Timeline& t, const Axis& a, int top) {
  const int mid = top + kWaveHeight / 2;
  for (const auto& seg : t.segments) {  // the segments, under the wave
    cv::Mat band = img(cv::Rect(a.x(seg.start), top, std::max(1, a.x(seg.end) - a.x(seg.start)), kWaveHeight));
    cv::Mat tint(band.size(), band.type(), colour(seg.label));
    cv::addWeighted(band, 0.65, tint, 0.35, 0, band);
  }
  float peak = 1e-6f;
  for (size_t i = 0; i < t.envelope_max.size(); ++i) peak = std::max({peak, t.envelope_max[i], -t.envelope_min[i]});
  const size_t n = t.envelope_max.size();
  for (int px = 0; px < a.width && n > 0; ++px) {
    const size_t i0 = n * static_cast<size_t>(px) / static_cast<size_t>(a.width);
    const size_t i1 = std::max(i0 + 1, n * static_cast<size_t>(px + 1) / static_cast<size_t>(a.width));
    float lo = 0, hi = 0;
    for (size_t i = i0; i < std::min(i1, n); ++i) {
      lo = std::min(lo, t.envelope_min[i]);
      hi = std::max(hi, t.envelope_max[i]);
    }
    const int y0 = mid - static_cast<int>(hi / peak * (kWaveHeight / 2 - 4));
    const int y1 = mid - static_cast<int>(lo / peak * (kWaveHeight / 2 - 4));
    cv::line(img, {a.x0 + px, y0}, {a.x0 + px, y1}, kInk, 1);
  }
  cv::rectangle(img, {a.x0, top}, {a.x0 + a.width, top + kWaveHeight}, kInk, 1);
}

void probabilities(cv::Mat& img, const Timeline& t, const Axis& a, int top) {
  const int bottom = top + kProbHeight;
  for (const double p : {0.0, 0.25, 0.5, 0.75, 1.0}) {
    const int y = bottom - static_cast<int>(p * kProbHeight);
    cv::line(img, {a.x0, y}, {a.x0 + a.width, y}, kGrid, 1);
    text(img, std::to_string(p).substr(0, 4), {a.x0 - 42, y + 5});
  }
  time_ticks(img, a, top, bottom);
  for (size_t c = 0; c < t.labels.size(); ++c) {
    std::vector<cv::Point> run;
    auto flush = [&] {
      if (run.size() > 1) cv::polylines(img, run, false, colour(static_cast<int>(c)), 2, cv::LINE_AA);
      run.clear();
    };
    for (size_t i = 0; i < t.windows.size(); ++i) {
      const TimelineWindow& w = t.windows[i];
      if (i > 0 && t.windows[i - 1].stretch != w.stretch) flush();
      const int y = bottom - static_cast<int>(w.smoothed[c] * kProbHeight);  // a step over the window's own span
      run.emplace_back(a.x(w.own_start), y);
      run.emplace_back(a.x(w.own_end), y);
    }
    flush();
  }
  cv::rectangle(img, {a.x0, top}, {a.x0 + a.width, bottom}, kInk, 1);
}

void legend(cv::Mat& img, const Timeline& t, int top) {
  int x = kLeft;
  for (size_t c = 0; c < t.labels.size(); ++c) {
    cv::rectangle(img, {x, top + 8}, {x + 14, top + 22}, colour(static_cast<int>(c)), cv::FILLED);
    text(img, t.labels[c], {x + 20, top + 20}, 0.5);
    x += 30 + 10 * static_cast<int>(t.labels[c].size());
  }
}

}  // namespace

void write_timeline_plot(const std::string& path, const Timeline& t, int width) {
  plot::require_png(path, "--plot");
  width = std::clamp(width, 400, 20000);
  const int height = kTop + kWaveHeight + kGap + kProbHeight + 24 + kLegend;
  cv::Mat img(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
  const Axis a{t.seconds, kLeft, width - kLeft - kRight};
  char title[512];
  std::snprintf(title, sizeof(title), "%s   %.1f s   windows %.2f s every %.2f s   %zu segments", t.file.c_str(),
                t.seconds, t.window_seconds, t.hop_seconds, t.segments.size());
  text(img, title, {kLeft, 25}, 0.55);
  waveform(img, t, a, kTop);
  const int prob_top = kTop + kWaveHeight + kGap;
  probabilities(img, t, a, prob_top);
  legend(img, t, prob_top + kProbHeight + 24);
  plot::write_png(path, img, "--plot");
}

}  // namespace ser::experiments
