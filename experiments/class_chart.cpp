#include "experiments/class_chart.hpp"

#include <algorithm>
#include <map>
#include <opencv2/imgproc.hpp>

#include "experiments/plot_canvas.hpp"

namespace ser::experiments {

namespace {
struct Group {
  std::string name;
  std::map<std::string, int64_t> counts;  // label -> files
};

int64_t total(const Group& g) {
  int64_t n = 0;
  for (const auto& [label, count] : g.counts) n += count;
  return n;
}

// A group per value of a sample's `field`, the largest first (a training
// part before its test part, in the colour a split's training side has).
std::vector<Group> groups_by(const datasets::Corpus& c, std::string datasets::Sample::*field) {
  std::map<std::string, Group> by;
  for (const auto& s : c.samples) {
    Group& g = by[s.*field];
    g.name = s.*field;
    ++g.counts[s.label];
  }
  std::vector<Group> groups;
  for (auto& [name, g] : by) groups.push_back(std::move(g));
  std::stable_sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) { return total(a) > total(b); });
  return groups;
}

std::vector<Group> groups_of(const datasets::Corpus& c, const datasets::Split* split) {
  std::vector<Group> groups;
  if (split) {
    for (const auto& [name, side] : datasets::named_sides(*split)) {
      if (side->empty()) continue;
      Group g{name, {}};
      for (size_t i : *side) ++g.counts[c.samples[i].label];
      groups.push_back(std::move(g));
    }
    return groups;
  }
  // Without a split: per corpus when several were loaded, else per partition
  // of the corpus's own (FER2013's train and test folders), else one group.
  for (const auto field : {&datasets::Sample::corpus, &datasets::Sample::partition})
    if (auto by = groups_by(c, field); by.size() > 1) return by;
  Group all{"files", {}};
  for (const auto& s : c.samples) ++all.counts[s.label];
  return {all};
}

// Where everything goes: a column per class, a bar per group inside it. A
// column is widened to its widest class name (TESS's 14 speaker_emotion
// names would run into each other) and to fill the chart's least width, the
// bars centred in it.
struct ChartLayout {
  static constexpr int kLeft = 70, kRight = 20, kTop = 50, kPlot = 320, kBar = 22, kGapBetween = 26;
  static constexpr int kNameGap = 12;    // the least space between neighbouring class names
  static constexpr int kMinWidth = 640;  // a few classes spread over it rather than crowd its left
  int bars, per_class, width, height, bottom;
  double step, y_max;
  ChartLayout(size_t groups, const std::vector<std::string>& classes, int64_t top)
      : bars(static_cast<int>(groups) * kBar),
        per_class(std::max({bars + kGapBetween, widest(classes) + kNameGap,
                            (kMinWidth - kLeft - kRight) / std::max(1, static_cast<int>(classes.size()))})),
        width(std::max(kMinWidth, kLeft + kRight + per_class * static_cast<int>(classes.size()))),
        height(kTop + kPlot + 110),
        bottom(kTop + kPlot),
        step(plot::nice_step(static_cast<double>(top), 5)),
        y_max(std::ceil(static_cast<double>(top) / step) * step) {}
  int y_of(double v) const { return bottom - static_cast<int>(v / y_max * kPlot); }
  // The left edge of class k's first bar.
  int bars_left(size_t k) const {
    return kLeft + kGapBetween / 2 + static_cast<int>(k) * per_class + (per_class - kGapBetween - bars) / 2;
  }
  static int widest(const std::vector<std::string>& names) {
    int w = 0;
    for (const auto& n : names) w = std::max(w, plot::text_width(n));
    return w;
  }
};

void draw_grid(cv::Mat& img, const ChartLayout& l) {
  for (double v = 0; v <= l.y_max + 1e-9; v += l.step) {
    cv::line(img, {ChartLayout::kLeft, l.y_of(v)}, {l.width - ChartLayout::kRight, l.y_of(v)}, plot::kGrid, 1);
    const std::string tick = std::to_string(static_cast<int64_t>(v));
    plot::text(img, tick, {ChartLayout::kLeft - 8 - plot::text_width(tick), l.y_of(v) + 5});
  }
}

// Class k's bars, each with its count above, and the class name below.
void draw_class(cv::Mat& img, const ChartLayout& l, const std::vector<Group>& groups, const std::string& label,
                size_t k) {
  const int x0 = l.bars_left(k);
  for (size_t g = 0; g < groups.size(); ++g) {
    const auto it = groups[g].counts.find(label);
    const int64_t n = it == groups[g].counts.end() ? 0 : it->second;
    const int x = x0 + static_cast<int>(g) * ChartLayout::kBar, y = l.y_of(static_cast<double>(n));
    if (n > 0)
      cv::rectangle(img, {x, y}, {x + ChartLayout::kBar - 3, l.bottom}, plot::colour(static_cast<int>(g)), cv::FILLED);
    const std::string count = std::to_string(n);
    plot::text(img, count, {x + (ChartLayout::kBar - 3 - plot::text_width(count, 0.33)) / 2, y - 4}, 0.33);
  }
  plot::text(img, label, {x0 + (l.bars - plot::text_width(label)) / 2, l.bottom + 20});
}

void draw_legend(cv::Mat& img, const ChartLayout& l, const std::vector<Group>& groups) {
  int x = ChartLayout::kLeft;
  for (size_t g = 0; g < groups.size(); ++g) {
    const std::string entry = groups[g].name + " (" + std::to_string(total(groups[g])) + ")";
    cv::rectangle(img, {x, l.bottom + 48}, {x + 14, l.bottom + 62}, plot::colour(static_cast<int>(g)), cv::FILLED);
    plot::text(img, entry, {x + 20, l.bottom + 60}, 0.5);
    x += 40 + plot::text_width(entry, 0.5);
  }
}
}  // namespace

void write_class_chart(const std::string& path, const datasets::Corpus& c, const datasets::Split* split) {
  plot::require_png(path, "--plot");
  const std::vector<Group> groups = groups_of(c, split);
  int64_t top = 1;
  for (const auto& g : groups)
    for (const auto& [label, n] : g.counts) top = std::max(top, n);
  const ChartLayout l(groups.size(), c.labels, top);
  cv::Mat img(l.height, l.width, CV_8UC3, plot::kWhite);
  draw_grid(img, l);
  for (size_t k = 0; k < c.labels.size(); ++k) draw_class(img, l, groups, c.labels[k], k);
  cv::line(img, {ChartLayout::kLeft, l.bottom}, {l.width - ChartLayout::kRight, l.bottom}, plot::kInk, 1);
  std::string title =
      c.name + ": " + std::to_string(c.samples.size()) + " files in " + std::to_string(c.labels.size()) + " classes";
  if (!c.skipped.empty()) title += ", " + std::to_string(c.skipped.size()) + " skipped";
  plot::text(img, title, {ChartLayout::kLeft, 28}, 0.6);
  draw_legend(img, l, groups);
  plot::text(img, "files per class", {ChartLayout::kLeft, l.bottom + 92}, 0.4, plot::kGrid * 0.6);
  plot::write_png(path, img, "--plot");
}

}  // namespace ser::experiments
