#include "experiments/audio_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>

#include "experiments/plot_canvas.hpp"

namespace ser::experiments {

namespace {
constexpr int kLeft = 70, kRight = 90, kTop = 40, kWave = 150, kMel = 220, kMfcc = 160, kGap = 42;

void time_axis(cv::Mat& img, double seconds, int x0, int width, int y) {
  const double step = plot::nice_step(seconds, 10);
  for (double s = 0; s <= seconds + 1e-9; s += step) {
    const int x = x0 + static_cast<int>(std::lround(s / std::max(seconds, 1e-9) * width));
    cv::line(img, {x, y}, {x, y + 4}, plot::kInk, 1);
    char label[32];
    std::snprintf(label, sizeof(label), step < 1 ? "%.1f" : "%.0f", s);
    plot::text(img, label, {x - plot::text_width(label, 0.4) / 2, y + 18}, 0.4);
  }
}

void waveform(cv::Mat& img, std::span<const float> y, cv::Rect box) {
  float peak = 1e-6f;
  for (float v : y) peak = std::max(peak, std::abs(v));
  const int mid = box.y + box.height / 2;
  cv::line(img, {box.x, mid}, {box.x + box.width, mid}, plot::kGrid, 1);
  for (int px = 0; px < box.width && !y.empty(); ++px) {  // min and max of the samples under each pixel
    const size_t i0 = y.size() * static_cast<size_t>(px) / static_cast<size_t>(box.width);
    const size_t i1 = std::max(i0 + 1, y.size() * static_cast<size_t>(px + 1) / static_cast<size_t>(box.width));
    const auto [lo, hi] = std::minmax_element(y.begin() + static_cast<std::ptrdiff_t>(i0),
                                              y.begin() + static_cast<std::ptrdiff_t>(std::min(i1, y.size())));
    const int top = mid - static_cast<int>(*hi / peak * (box.height / 2 - 3));
    const int bottom = mid - static_cast<int>(*lo / peak * (box.height / 2 - 3));
    cv::line(img, {box.x + px, top}, {box.x + px, bottom}, plot::colour(0), 1);
  }
  cv::rectangle(img, box, plot::kInk, 1);
}

// A [rows, frames] matrix as an image, row 0 at the bottom, in viridis,
// with a colour bar of its range on the right.
void heatmap(cv::Mat& img, const dsp::Matrix& m, cv::Rect box, const std::string& unit) {
  if (m.rows == 0 || m.cols == 0) return;
  const auto [lo_it, hi_it] = std::minmax_element(m.data.begin(), m.data.end());
  const double lo = *lo_it, span = std::max(*hi_it - lo, 1e-12);
  cv::Mat grey(static_cast<int>(m.rows), static_cast<int>(m.cols), CV_8UC1);
  for (int64_t r = 0; r < m.rows; ++r)
    for (int64_t c = 0; c < m.cols; ++c)
      grey.at<uchar>(static_cast<int>(m.rows - 1 - r), static_cast<int>(c)) =
          static_cast<uchar>(std::lround((m(r, c) - lo) / span * 255.0));
  cv::Mat coloured, scaled;
  cv::applyColorMap(grey, coloured, cv::COLORMAP_VIRIDIS);
  cv::resize(coloured, scaled, box.size(), 0, 0, cv::INTER_NEAREST);
  scaled.copyTo(img(box));
  cv::rectangle(img, box, plot::kInk, 1);
  cv::Mat bar(256, 1, CV_8UC1);
  for (int i = 0; i < 256; ++i) bar.at<uchar>(i, 0) = static_cast<uchar>(255 - i);
  cv::Mat bar_colour, bar_scaled;
  cv::applyColorMap(bar, bar_colour, cv::COLORMAP_VIRIDIS);
  const cv::Rect bar_box(box.x + box.width + 12, box.y, 14, box.height);
  cv::resize(bar_colour, bar_scaled, bar_box.size(), 0, 0, cv::INTER_LINEAR);
  bar_scaled.copyTo(img(bar_box));
  char label[32];
  std::snprintf(label, sizeof(label), "%.0f %s", lo + span, unit.c_str());
  plot::text(img, label, {bar_box.x + 18, bar_box.y + 10}, 0.38);
  std::snprintf(label, sizeof(label), "%.0f", lo);
  plot::text(img, label, {bar_box.x + 18, bar_box.y + bar_box.height}, 0.38);
}
}  // namespace

void write_audio_plot(const std::string& path, const AudioPicture& a, int width) {
  plot::require_png(path, "--out");
  width = std::clamp(width, 400, 20000);
  const int plot_width = width - kLeft - kRight;
  const int height = kTop + kWave + kGap + kMel + kGap + kMfcc + 40;
  cv::Mat img(height, width, CV_8UC3, plot::kWhite);
  const double seconds = static_cast<double>(a.wave.size()) / std::max(a.sample_rate, 1);
  plot::text(img, a.title, {kLeft, 26}, 0.55);
  const cv::Rect wave_box(kLeft, kTop, plot_width, kWave);
  waveform(img, a.wave, wave_box);
  plot::text(img, "waveform", {8, kTop + kWave / 2}, 0.42);
  // The spectra's frames cover the signal (centred frames): the same time axis.
  const cv::Rect mel_box(kLeft, kTop + kWave + kGap, plot_width, kMel);
  if (a.mel_db) heatmap(img, *a.mel_db, mel_box, "dB");
  plot::text(img, "mel (dB)", {8, mel_box.y + kMel / 2}, 0.42);
  const cv::Rect mfcc_box(kLeft, mel_box.y + kMel + kGap, plot_width, kMfcc);
  if (a.mfcc) heatmap(img, *a.mfcc, mfcc_box, "");
  plot::text(img, "MFCC", {8, mfcc_box.y + kMfcc / 2}, 0.42);
  for (const cv::Rect& box : {wave_box, mel_box, mfcc_box})
    time_axis(img, seconds, kLeft, plot_width, box.y + box.height);
  plot::text(img, "time (s)", {kLeft + plot_width / 2 - 30, height - 6}, 0.42);
  plot::write_png(path, img, "--out");
}

}  // namespace ser::experiments
