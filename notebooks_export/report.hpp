#pragma once
// The report of one run or a comparison of several: a notebook whose cells
// read the run folders (metrics.json, history.csv, run.json, config.yaml) and
// plot them with matplotlib. Reads run files only; the audio examples are
// files the caller prepared (examples.json beside .npy arrays).

#include <stdexcept>
#include <string>
#include <vector>

namespace ser::notebooks {

struct ReportRun {
  std::string name;      // in headings, tables and legends
  std::string dir;       // the run folder
  std::string examples;  // examples.json for this run, or empty
  // The metrics.json section the per-class cells and the faces show ("test";
  // `ser eval` scores "validation" or "all" too).
  std::string section = "test";
  // Markdown that stands for the run's facts and config when set (`ser eval`:
  // which runs, which files, which views), for folders without run.json.
  std::string about;
};

// Thrown for a folder that cannot be reported, naming the file and the fault.
struct ReportError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Writes OUT/report.ipynb and returns its path. One run: its facts, config,
// metrics, classification report, curves, confusion matrix, per-class F1 and
// examples. Several: first a comparison (table, scores chart, curves,
// per-class F1 side by side), then each run as above.
std::string write_report_notebook(const std::vector<ReportRun>& runs, const std::string& out_dir);

}  // namespace ser::notebooks
