#include "notebooks_export/report.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/atomic_file.hpp"
#include "notebooks_export/notebook.hpp"
#include "notebooks_export/report_plots_py.hpp"

namespace ser::notebooks {
namespace fs = std::filesystem;
namespace {

nlohmann::json read_json(const fs::path& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) throw ReportError("'" + path.parent_path().string() + "' has no " + path.filename().string() + ": " + what);
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw ReportError("'" + path.string() + "' is damaged: " + e.what());
  }
}

// What the notebook can show for a run; the cells themselves read the files.
struct RunShape {
  bool per_class = false;  // test metrics with a confusion matrix (not a k-fold summary)
  bool history = false;
  std::vector<std::string> example_labels;
  bool faces = false;  // an image run: a page of test faces
  bool data = false;   // data.json: files per class and split side
};

RunShape inspect_run(const ReportRun& r) {
  RunShape s;
  const auto metrics = read_json(fs::path(r.dir) / "metrics.json",
                                 "not a finished run (give a folder `ser train` or `ser compare` wrote)");
  if (!metrics.contains(r.section) || !metrics[r.section].contains("accuracy"))
    throw ReportError("'" + (fs::path(r.dir) / "metrics.json").string() + "' has no " + r.section + " accuracy");
  const auto& scored = metrics[r.section];
  s.per_class = scored.contains("per_class") && scored.contains("confusion_matrix");
  s.history = fs::exists(fs::path(r.dir) / "history.csv");
  s.data = fs::exists(fs::path(r.dir) / "data.json");
  if (!r.examples.empty()) {
    const auto index = read_json(r.examples, "no examples");
    s.faces = index.contains("faces");
    if (!s.faces)
      for (const auto& e : index.at("examples")) s.example_labels.push_back(e.at("label").get<std::string>());
  }
  return s;
}

// Paths in the notebook are relative to it: the report folder and the runs can move together.
std::string relative_to(const std::string& path, const fs::path& base) {
  return fs::relative(fs::absolute(path), fs::absolute(base)).lexically_normal().generic_string();
}

// The run's facts and config, or, for scores without a run, what they are.
void about_cells(Notebook& nb, const ReportRun& r, const std::string& run) {
  if (!r.about.empty()) {
    nb.markdown(r.about);
    return;
  }
  nb.code("show_facts(" + run + ")");
  nb.markdown("### Config\n\nThe config file the run was started with (with any `--set` overrides applied).");
  nb.code("show_config(" + run + ")");
}

// Classification report, confusion matrix and F1 per class on `files`.
void per_class_cells(Notebook& nb, const std::string& args, const std::string& files) {
  nb.markdown("### Classification report\n\nOn " + files + ", as scikit-learn lays it out.");
  nb.code("classification_report(" + args + ")");
  nb.markdown(
      "### Confusion matrix\n\nRows are the true classes, columns the predicted ones; on the right each "
      "row divided by its total, so the diagonal is each class's recall.");
  nb.code("plot_confusion(" + args + ")");
  nb.markdown("### F1 per class");
  nb.code("plot_f1(" + args + ")");
}

// One audio example per class, or a pointer to the run above that showed the same files.
void example_cells(Notebook& nb, const RunShape& s, const std::string& run, const std::string& shown_with) {
  if (!shown_with.empty()) {
    nb.markdown("### One example per class\n\nThe same files as run `" + shown_with + "` above.");
    return;
  }
  nb.markdown(
      "### One example per class\n\nThe first test file of each class, read as the run read it (sample "
      "rate, offset, duration): the waveform, its mel spectrogram in dB and its MFCCs (coloured on the scale of "
      "coefficients 1 and up; the 0th, the log energy, is far larger and saturates).");
  for (const auto& label : s.example_labels) {
    nb.markdown("#### Example: " + label);
    nb.code("plot_example(" + run + ", " + python_string(label) + ")");
  }
}

void run_section(Notebook& nb, const ReportRun& r, const RunShape& s, size_t i, const std::string& shown_with,
                 bool several) {
  const std::string run = "runs[" + std::to_string(i) + "]";
  // The per-class cells name their section only when it is not the test part (as before sections existed).
  const std::string args = run + (r.section == "test" ? "" : ", " + python_string(r.section));
  const std::string files = r.section == "all" ? "the files scored" : "the " + r.section + " files";
  nb.markdown((several ? "## Run `" : "## `") + r.name + "`\n\nFolder `" + r.dir + "`.");
  about_cells(nb, r, run);
  if (s.data) {
    nb.markdown("### Data\n\nFiles per class on each side of the split (augmented copies counted as rows of "
                "their own), from the run's `data.json`.");
    nb.code("plot_classes(" + run + ")");
  }
  nb.markdown("### Metrics\n\n`test` and `validation` score the files themselves; `test_with_copies` also scores "
              "the augmented copies of test files (what the popular notebooks report), `test_<corpus>` each corpus "
              "of a combination.");
  nb.code("metrics_table(" + run + ")");
  if (s.history) {
    nb.markdown("### Training curves\n\nLoss and accuracy per epoch on the training and validation rows, and the "
                "learning rate the optimiser used.");
    nb.code("plot_curves(" + run + ")");
  }
  if (s.per_class) per_class_cells(nb, args, files);
  if (s.faces) {
    nb.markdown("### Faces\n\nThe first faces of each true class among " + files +
                " (one row each), with what the model predicts: green where it is right, red where it is wrong.");
    nb.code("plot_faces(" + args + ")");
  }
  if (!s.example_labels.empty()) example_cells(nb, s, run, shown_with);
}

// The notebook's title and what wrote it: a run, several side by side, or `ser eval --report`'s scores.
std::string intro_markdown(const std::vector<ReportRun>& runs) {
  const bool several = runs.size() > 1;
  const bool scored = !several && !runs[0].about.empty();  // `ser eval --report`: scores, not a run
  std::ostringstream intro;
  intro << "# " << (several ? "Comparison of " + std::to_string(runs.size()) + " runs"
                            : (scored ? "Scores of `" : "Run `") + runs[0].name + "`")
        << (scored ? "\n\nWritten by `ser eval --report`. Every cell below reads the folder of scores as it is on disk "
                     "(`metrics.json`, and `examples/` for the pictures), so the notebook can be re-run and extended "
                     "in Jupyter. The first cell holds the plotting helpers.\n"
                   : "\n\nWritten by `ser report`. Every cell below reads the run folders as they are on disk "
                     "(`metrics.json`, `history.csv`, `run.json`, `config.yaml`), so the notebook can be re-run and "
                     "extended in Jupyter. The first cell holds the plotting helpers.\n");
  return intro.str();
}

// The cell that loads the runs: name, folder and audio examples (paths relative to the notebook).
std::string load_cell(const std::vector<ReportRun>& runs, const std::string& out_dir) {
  std::ostringstream load;
  load << "# The runs of this report: name, folder and audio examples (paths relative to this notebook)\nruns = [\n";
  for (const auto& r : runs)
    load << "    load_run(" << python_string(r.name) << ", " << python_string(relative_to(r.dir, out_dir)) << ", "
         << (r.examples.empty() ? "None" : python_string(relative_to(r.examples, out_dir))) << "),\n";
  load << "]";
  return load.str();
}

// Several runs: their test scores, curves and F1 per class side by side.
void comparison_cells(Notebook& nb) {
  nb.markdown(
      "## Comparison\n\nTest scores of every run (mean ± standard deviation over the folds of k-fold "
      "runs).");
  nb.code("comparison_table(runs)");
  nb.markdown("### Test accuracy and macro-F1");
  nb.code("plot_comparison(runs)");
  nb.markdown("### Training curves side by side");
  nb.code("plot_comparison_curves(runs)");
  nb.markdown("### F1 per class side by side\n\nRuns with the same classes share one chart.");
  nb.code("plot_comparison_f1(runs)");
}

}  // namespace

std::string write_report_notebook(const std::vector<ReportRun>& runs, const std::string& out_dir) {
  if (runs.empty()) throw ReportError("no runs to report");
  std::vector<RunShape> shapes;
  for (const auto& r : runs) shapes.push_back(inspect_run(r));
  fs::create_directories(out_dir);

  Notebook nb;
  const bool several = runs.size() > 1;
  nb.markdown(intro_markdown(runs));
  nb.code(kReportPlotsPy, /*hide_input=*/true);
  nb.code(load_cell(runs, out_dir));
  if (several) comparison_cells(nb);
  std::map<std::string, std::string> examples_shown;  // examples.json -> the run they were shown with
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto& e = runs[i].examples;
    const auto seen = examples_shown.find(e);
    run_section(nb, runs[i], shapes[i], i, seen == examples_shown.end() ? "" : seen->second, several);
    if (!e.empty() && seen == examples_shown.end()) examples_shown[e] = runs[i].name;
  }
  const std::string path = (fs::path(out_dir) / "report.ipynb").string();
  write_file_atomically(path, nb.to_json());
  return path;
}

}  // namespace ser::notebooks
