#include "experiments/class_chart.hpp"

#include <algorithm>
#include <map>
#include <opencv2/imgproc.hpp>
#include <set>

#include "experiments/plot_canvas.hpp"

namespace ser::experiments {

namespace {
struct Group {
  std::string name;
  std::map<std::string, int64_t> counts;  // label -> files
};

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
  std::set<std::string> corpora;
  for (const auto& s : c.samples) corpora.insert(s.corpus);
  if (corpora.size() > 1) {
    for (const auto& name : corpora) {
      Group g{name, {}};
      for (const auto& s : c.samples)
        if (s.corpus == name) ++g.counts[s.label];
      groups.push_back(std::move(g));
    }
    return groups;
  }
  Group all{"files", {}};
  for (const auto& s : c.samples) ++all.counts[s.label];
  return {all};
}
}  // namespace

void write_class_chart(const std::string& path, const datasets::Corpus& c, const datasets::Split* split) {
  plot::require_png(path, "--plot");
  const std::vector<Group> groups = groups_of(c, split);
  int64_t top = 1;
  for (const auto& g : groups)
    for (const auto& [label, n] : g.counts) top = std::max(top, n);
  constexpr int kLeft = 70, kRight = 20, kTop = 50, kPlot = 320, kBar = 22, kGapBetween = 26;
  const int per_class = static_cast<int>(groups.size()) * kBar + kGapBetween;
  const int width = std::max(640, kLeft + kRight + per_class * static_cast<int>(c.labels.size()));
  const int height = kTop + kPlot + 110;
  cv::Mat img(height, width, CV_8UC3, plot::kWhite);
  const int bottom = kTop + kPlot;
  const double step = plot::nice_step(static_cast<double>(top), 5);
  const double y_max = std::ceil(static_cast<double>(top) / step) * step;
  const auto y_of = [&](double v) { return bottom - static_cast<int>(v / y_max * kPlot); };
  for (double v = 0; v <= y_max + 1e-9; v += step) {
    cv::line(img, {kLeft, y_of(v)}, {width - kRight, y_of(v)}, plot::kGrid, 1);
    const std::string tick = std::to_string(static_cast<int64_t>(v));
    plot::text(img, tick, {kLeft - 8 - plot::text_width(tick), y_of(v) + 5});
  }
  for (size_t k = 0; k < c.labels.size(); ++k) {
    const int x0 = kLeft + kGapBetween / 2 + static_cast<int>(k) * per_class;
    for (size_t g = 0; g < groups.size(); ++g) {
      const auto it = groups[g].counts.find(c.labels[k]);
      const int64_t n = it == groups[g].counts.end() ? 0 : it->second;
      const int x = x0 + static_cast<int>(g) * kBar;
      if (n > 0)
        cv::rectangle(img, {x, y_of(static_cast<double>(n))}, {x + kBar - 3, bottom}, plot::colour(static_cast<int>(g)),
                      cv::FILLED);
      const std::string count = std::to_string(n);
      plot::text(img, count, {x + (kBar - 3 - plot::text_width(count, 0.33)) / 2, y_of(static_cast<double>(n)) - 4},
                 0.33);
    }
    const std::string& label = c.labels[k];
    plot::text(img, label, {x0 + (per_class - kGapBetween - plot::text_width(label)) / 2, bottom + 20});
  }
  cv::line(img, {kLeft, bottom}, {width - kRight, bottom}, plot::kInk, 1);
  std::string title =
      c.name + ": " + std::to_string(c.samples.size()) + " files in " + std::to_string(c.labels.size()) + " classes";
  if (!c.skipped.empty()) title += ", " + std::to_string(c.skipped.size()) + " skipped";
  plot::text(img, title, {kLeft, 28}, 0.6);
  int x = kLeft;
  for (size_t g = 0; g < groups.size(); ++g) {  // the legend
    int64_t total = 0;
    for (const auto& [label, n] : groups[g].counts) total += n;
    const std::string entry = groups[g].name + " (" + std::to_string(total) + ")";
    cv::rectangle(img, {x, bottom + 48}, {x + 14, bottom + 62}, plot::colour(static_cast<int>(g)), cv::FILLED);
    plot::text(img, entry, {x + 20, bottom + 60}, 0.5);
    x += 40 + plot::text_width(entry, 0.5);
  }
  plot::text(img, "files per class", {kLeft, bottom + 92}, 0.4, plot::kGrid * 0.6);
  plot::write_png(path, img, "--plot");
}

}  // namespace ser::experiments
