#include "datasets/report.hpp"

#include <algorithm>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace ser::datasets {

namespace {
struct Stats {
  std::map<std::string, int64_t> classes, speakers, partitions, genders, intensities;
  std::map<std::string, std::map<std::string, int64_t>> per_corpus;
  std::map<int, int64_t> rates;
  double min = 0, max = 0, total = 0;
};

Stats stats_of(const Corpus& c) {
  Stats s;
  for (const auto& l : c.labels) s.classes[l] = 0;
  bool first = true;
  for (const Sample& x : c.samples) {
    ++s.classes[x.label];
    if (!x.speaker.empty()) ++s.speakers[x.speaker];
    if (!x.partition.empty()) ++s.partitions[x.partition];
    if (!x.gender.empty()) ++s.genders[x.gender];
    if (!x.intensity.empty()) ++s.intensities[x.intensity];
    ++s.per_corpus[x.corpus][x.label];
    if (x.sample_rate) ++s.rates[x.sample_rate];
    s.min = first ? x.seconds : std::min(s.min, x.seconds);
    s.max = first ? x.seconds : std::max(s.max, x.seconds);
    s.total += x.seconds;
    first = false;
  }
  return s;
}

std::map<std::string, int64_t> side_counts(const Corpus& c, const std::vector<size_t>& side) {
  std::map<std::string, int64_t> m;
  for (size_t i : side) ++m[c.samples[i].label];
  return m;
}

// The speakers of each side of a split, and those on more than one side: a
// speaker-independent evaluation has none there.
struct SideSpeakers {
  std::vector<std::pair<std::string, std::set<std::string>>> of_side;  // train, validation, test
  std::set<std::string> all, shared;
};

SideSpeakers side_speakers(const Corpus& c, const Split& split) {
  SideSpeakers r;
  for (const auto& [name, side] : named_sides(split)) {
    auto& mine = r.of_side.emplace_back(name, std::set<std::string>{}).second;
    for (size_t i : *side)
      if (!c.samples[i].speaker.empty()) mine.insert(c.samples[i].speaker);
    for (const auto& sp : mine)
      if (!r.all.insert(sp).second) r.shared.insert(sp);
  }
  return r;
}

void write_side_speakers(std::ostream& out, const SideSpeakers& s) {
  if (s.all.empty()) return;
  out << "\nspeakers per side:\n";
  for (const auto& [name, speakers] : s.of_side) {
    if (speakers.empty()) continue;
    out << "  " << std::left << std::setw(12) << name << std::right;
    for (const auto& sp : speakers) out << " " << sp;
    out << "\n";
  }
  if (s.shared.empty())
    out << "  no speaker is on two sides\n";
  else
    out << "  " << s.shared.size() << " of " << s.all.size()
        << " speakers are on more than one side: the split is not speaker-independent\n";
}
// The first lines: files, classes, speakers, skipped; durations and rates.
void write_overview(std::ostream& out, const Corpus& c, const Stats& s) {
  out << c.name << ": " << c.samples.size() << " files in " << c.labels.size() << " classes";
  if (!s.speakers.empty()) out << ", " << s.speakers.size() << " speakers";
  out << ", " << c.skipped.size() << " skipped\n";
  if (s.total > 0)
    out << std::fixed << std::setprecision(2) << "duration: " << s.total / 60 << " min in all, " << s.min << " to "
        << s.max << " s per file, mean " << s.total / static_cast<double>(c.samples.size()) << " s\n";
  if (!s.rates.empty()) {
    out << "sample rates:";
    for (const auto& [rate, n] : s.rates) out << " " << rate << " Hz x " << n;
    out << "\n";
  }
}

// A row per class: its files, per corpus when there are several, per side of the split when there is one.
void write_class_table(std::ostream& out, const Corpus& c, const Stats& s, const Split* split) {
  const auto count = [](const std::map<std::string, int64_t>& m, const std::string& l) {
    const auto it = m.find(l);
    return it == m.end() ? int64_t{0} : it->second;
  };
  out << "\nclass" << std::string(18, ' ') << "files";
  if (s.per_corpus.size() > 1)
    for (const auto& [corpus, m] : s.per_corpus) out << std::setw(10) << corpus;
  if (split) out << std::setw(8) << "train" << std::setw(8) << "val" << std::setw(8) << "test";
  out << "\n";
  const auto tr = split ? side_counts(c, split->train) : std::map<std::string, int64_t>{};
  const auto va = split ? side_counts(c, split->validation) : std::map<std::string, int64_t>{};
  const auto te = split ? side_counts(c, split->test) : std::map<std::string, int64_t>{};
  for (const auto& l : c.labels) {
    out << std::left << std::setw(23) << l << std::right << std::setw(5) << s.classes.at(l);
    if (s.per_corpus.size() > 1)
      for (const auto& [corpus, m] : s.per_corpus) out << std::setw(10) << count(m, l);
    if (split) out << std::setw(8) << count(tr, l) << std::setw(8) << count(va, l) << std::setw(8) << count(te, l);
    out << "\n";
  }
}
}  // namespace

std::string report_text(const Corpus& c, const Split* split) {
  const Stats s = stats_of(c);
  std::ostringstream out;
  write_overview(out, c, s);
  write_class_table(out, c, s, split);
  const auto counts = [&](const char* what, const std::map<std::string, int64_t>& m) {
    if (m.empty()) return;
    out << "\n" << what << ":";
    for (const auto& [name, n] : m) out << " " << name << " (" << n << ")";
    out << "\n";
  };
  if (split) write_side_speakers(out, side_speakers(c, *split));
  counts("partitions of the corpus", s.partitions);
  counts("speakers", s.speakers);
  counts("genders", s.genders);
  counts("intensities", s.intensities);
  if (!c.skipped.empty()) {
    out << "\nskipped:\n";
    for (const auto& k : c.skipped) out << "  " << k.path << ": " << k.reason << "\n";
  }
  return out.str();
}

std::string report_json(const Corpus& c, const Split* split) {
  const Stats s = stats_of(c);
  nlohmann::ordered_json j;
  j["corpus"] = c.name;
  j["files"] = c.samples.size();
  j["labels"] = c.labels;
  j["classes"] = s.classes;
  if (!s.speakers.empty()) j["speakers"] = s.speakers;
  if (!s.partitions.empty()) j["partitions"] = s.partitions;
  if (!s.genders.empty()) j["genders"] = s.genders;
  if (!s.intensities.empty()) j["intensities"] = s.intensities;
  j["corpora"] = s.per_corpus;
  if (!c.samples.empty())
    j["seconds"] = {
        {"min", s.min}, {"mean", s.total / static_cast<double>(c.samples.size())}, {"max", s.max}, {"total", s.total}};
  nlohmann::ordered_json rates = nlohmann::ordered_json::object();
  for (const auto& [rate, n] : s.rates) rates[std::to_string(rate)] = n;
  j["sample_rates"] = rates;
  j["skipped"] = nlohmann::ordered_json::array();
  for (const auto& k : c.skipped) j["skipped"].push_back({{"path", k.path}, {"reason", k.reason}});
  if (split) {
    j["split"] = {
        {"train", split->train.size()}, {"validation", split->validation.size()}, {"test", split->test.size()}};
    nlohmann::ordered_json sides;
    for (const auto& [name, side] : named_sides(*split)) {
      nlohmann::ordered_json counts;
      const auto m = side_counts(c, *side);
      for (const auto& l : c.labels) counts[l] = m.count(l) ? m.at(l) : 0;
      sides[name] = counts;
    }
    j["split_classes"] = sides;
    if (!s.speakers.empty()) {
      const SideSpeakers speakers = side_speakers(c, *split);
      for (const auto& [name, side] : speakers.of_side) j["split_speakers"][name] = side;
      j["split_shared_speakers"] = speakers.shared;
    }
  }
  return j.dump(2);
}

}  // namespace ser::datasets
