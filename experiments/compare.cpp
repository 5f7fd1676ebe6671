#include "experiments/compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "common/atomic_file.hpp"
#include "experiments/arg_parser.hpp"
#include "experiments/config.hpp"
#include "experiments/metrics.hpp"
#include "experiments/runner.hpp"
#include "experiments/shared_runs.hpp"

namespace ser::experiments {

namespace fs = std::filesystem;

namespace {
// "features.kinds" and "[zcr, rms]" -> "kinds=zcr+rms": short, and a valid folder name.
std::string sweep_label(const std::string& key, const std::string& value) {
  std::string out = key.substr(key.rfind('.') + 1) + "=";
  for (char ch : value) {
    if (ch == '[' || ch == ']' || ch == ' ' || ch == '{' || ch == '}' || ch == '\'' || ch == '"') continue;
    out.push_back(ch == ',' ? '+' : ch == ':' ? '=' : ch == '/' ? '_' : ch);
  }
  return out;
}
}  // namespace

std::vector<CompareEntry> compare_entries(const std::vector<std::string>& configs,
                                          const std::vector<std::string>& overrides,
                                          const std::vector<std::string>& sweeps) {
  // Each sweep multiplies the entries so far by its values.
  std::vector<std::pair<std::string, std::vector<std::string>>> combos = {{"", {}}};  // (label suffix, overrides)
  for (const auto& sweep : sweeps) {
    const size_t eq = sweep.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == sweep.size())
      throw UsageError("--sweep " + sweep + ": expected KEY=V1|V2|..., for example features.n_mfcc=13|20|40");
    const std::string key = sweep.substr(0, eq);
    std::vector<std::string> values;
    std::istringstream in(sweep.substr(eq + 1));
    for (std::string v; std::getline(in, v, '|');)
      if (!v.empty()) values.push_back(v);
    std::vector<std::pair<std::string, std::vector<std::string>>> next;
    for (const auto& [suffix, o] : combos)
      for (const auto& v : values) {
        auto more = o;
        more.push_back(key + "=" + v);
        next.emplace_back(suffix + "__" + sweep_label(key, v), std::move(more));
      }
    combos = std::move(next);
  }
  std::vector<CompareEntry> out;
  std::set<std::string> labels;
  for (const auto& config : configs)
    for (const auto& [suffix, o] : combos) {
      std::string label = fs::path(config).stem().string() + suffix, unique = label;
      // Two configs with one file name (in different folders) still get two folders.
      for (int n = 2; labels.count(unique); ++n) unique = label + "_" + std::to_string(n);
      labels.insert(unique);
      auto all = overrides;
      all.insert(all.end(), o.begin(), o.end());
      out.push_back({unique, config, std::move(all)});
    }
  return out;
}

namespace {
// compare.csv and compare.json of the runs finished so far, in the entries' order.
void write_summaries(const std::vector<CompareEntry>& entries, const std::vector<std::optional<CompareRow>>& rows,
                     const std::string& out_dir) {
  std::ostringstream csv;
  csv << "label,accuracy,macro_f1,seconds,run\n";
  nlohmann::ordered_json runs = nlohmann::ordered_json::array();
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i]) continue;
    const CompareRow& row = *rows[i];
    csv << row.label << "," << row.accuracy << "," << row.macro_f1 << "," << row.seconds << "," << row.run_dir << "\n";
    runs.push_back({{"label", row.label},
                    {"run", row.run_dir},
                    {"config", entries[i].config},
                    {"overrides", entries[i].overrides},
                    {"accuracy", row.accuracy},
                    {"macro_f1", row.macro_f1},
                    {"seconds", row.seconds}});
  }
  write_file_atomically((fs::path(out_dir) / "compare.csv").string(), csv.str());
  write_file_atomically((fs::path(out_dir) / "compare.json").string(), runs.dump(2) + "\n");
}
}  // namespace

std::vector<CompareRow> run_comparison(const std::vector<CompareEntry>& entries, const std::string& out_dir,
                                       const std::string& cache_dir, const std::string& data_dir, std::ostream& log,
                                       const Communicator& comm) {
  // Every config is checked before the first run starts: a typo in the last
  // one must not cost the hours the first ones take.
  std::vector<ExperimentConfig> configs;
  for (const auto& e : entries) configs.push_back(load_config(e.config, e.overrides, data_dir));
  fs::create_directories(out_dir);
  std::vector<SharedRun> runs;
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string dir = (fs::path(out_dir) / entries[i].label).string();
    runs.push_back(
        {"=== " + entries[i].label + " (" + std::to_string(i + 1) + " of " + std::to_string(entries.size()) + ") ===",
         dir, [&, i, dir](std::ostream& run_log) { return train_experiment(configs[i], dir, run_log, cache_dir); }});
  }
  std::vector<std::optional<CompareRow>> done(entries.size());
  // Written after every run, so an interrupted comparison keeps what it finished.
  run_shared(comm, runs, log, [&](size_t i, const TrainResult& r) {
    done[i] = CompareRow{entries[i].label, runs[i].dir, r.test_accuracy, r.test_macro_f1, r.seconds};
    write_summaries(entries, done, out_dir);
  });
  std::vector<CompareRow> rows;
  for (auto& row : done)
    if (row) rows.push_back(std::move(*row));
  return rows;
}

namespace {
// Runs swept over seeds, grouped by their label without the seed, in order of
// first appearance; runs without a seed are in no group.
using SeedGroups = std::vector<std::pair<std::string, std::vector<const CompareRow*>>>;

SeedGroups seed_groups(const std::vector<CompareRow>& rows) {
  SeedGroups groups;
  for (const auto& r : rows) {
    const size_t at = r.label.find("__seed=");
    if (at == std::string::npos) continue;
    const size_t end = r.label.find("__", at + 2);
    const std::string g = r.label.substr(0, at) + (end == std::string::npos ? "" : r.label.substr(end));
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& e) { return e.first == g; });
    if (it == groups.end()) it = groups.insert(groups.end(), {g, {}});
    it->second.push_back(&r);
  }
  return groups;
}

// One score of each run of a group.
std::vector<double> scores_of(const std::vector<const CompareRow*>& group, double CompareRow::*score) {
  std::vector<double> v;
  for (const auto* r : group) v.push_back(r->*score);
  return v;
}

std::string runs_table(const std::vector<CompareRow>& rows) {
  size_t width = 3;
  for (const auto& r : rows) width = std::max(width, r.label.size());
  std::string out;
  char line[512];
  std::snprintf(line, sizeof(line), "%-*s  %8s  %8s  %9s\n", static_cast<int>(width), "run", "accuracy", "macro-F1",
                "time (s)");
  out += line;
  for (const auto& r : rows) {
    std::snprintf(line, sizeof(line), "%-*s  %8.4f  %8.4f  %9.1f\n", static_cast<int>(width), r.label.c_str(),
                  r.accuracy, r.macro_f1, r.seconds);
    out += line;
  }
  return out;
}

std::string seeds_table(const SeedGroups& groups) {
  size_t width = 3;
  for (const auto& [name, group] : groups) width = std::max(width, name.size());
  std::string out;
  char line[512];
  std::snprintf(line, sizeof(line), "\nover seeds:\n%-*s  %5s  %15s  %15s\n", static_cast<int>(width), "run", "seeds",
                "accuracy", "macro-F1");
  out += line;
  for (const auto& [name, group] : groups) {
    const MeanSd acc = mean_sd(scores_of(group, &CompareRow::accuracy));
    const MeanSd f1 = mean_sd(scores_of(group, &CompareRow::macro_f1));
    std::snprintf(line, sizeof(line), "%-*s  %5zu  %7.4f +- %.4f  %7.4f +- %.4f\n", static_cast<int>(width),
                  name.c_str(), group.size(), acc.mean, acc.sd, f1.mean, f1.sd);
    out += line;
  }
  return out;
}
}  // namespace

std::string comparison_table(const std::vector<CompareRow>& rows) {
  const auto groups = seed_groups(rows);
  return runs_table(rows) + (groups.empty() ? "" : seeds_table(groups));
}

}  // namespace ser::experiments
