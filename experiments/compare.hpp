#pragma once
// `ser compare`: several configs, or one config swept over one key, run one
// after the other with the same feature cache, then one table of test
// accuracy, macro-F1 and wall time per run (also written as compare.csv and
// compare.json beside the runs).

#include <ostream>
#include <string>
#include <vector>

#include "common/communicator.hpp"

namespace ser::experiments {

struct CompareEntry {
  std::string label;                   // the run's folder name and table row
  std::string config;                  // YAML path
  std::vector<std::string> overrides;  // --set key=value, the sweep's value last
};

struct CompareRow {
  std::string label, run_dir;
  double accuracy = 0, macro_f1 = 0, seconds = 0;
};

// Entries for CONFIG... x every combination of the sweeps' values (each
// "key=v1|v2|v3"). Throws UsageError for a sweep without key or values.
std::vector<CompareEntry> compare_entries(const std::vector<std::string>& configs,
                                          const std::vector<std::string>& overrides,
                                          const std::vector<std::string>& sweeps);

// Runs every entry into OUT/<label> (in a job of several ranks, each rank
// takes the next entry as it becomes free; the runs are the same). Returns
// the rows in the entries' order on rank 0 (elsewhere none), and keeps
// OUT/compare.csv and compare.json up to date as runs finish.
std::vector<CompareRow> run_comparison(const std::vector<CompareEntry>& entries, const std::string& out_dir,
                                       const std::string& cache_dir, const std::string& data_dir, std::ostream& log,
                                       const Communicator& comm = {});

// The table as text, columns aligned. When seeds were swept, a second table
// gives each configuration's mean and standard deviation over the seeds.
std::string comparison_table(const std::vector<CompareRow>& rows);

}  // namespace ser::experiments
