#include "experiments/report_command.hpp"

#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "common/data_dir.hpp"
#include "common/text.hpp"
#include "experiments/arg_parser.hpp"
#include "experiments/report_examples.hpp"
#include "experiments/runner.hpp"
#include "notebooks_export/nbconvert.hpp"
#include "notebooks_export/report.hpp"

namespace ser::experiments {
namespace fs = std::filesystem;
namespace {

// A run folder stands for itself; a `ser compare` folder for its runs, in order.
std::vector<std::string> expand(const std::vector<std::string>& given) {
  std::vector<std::string> dirs;
  for (const auto& g : given) {
    const fs::path dir(g);
    if (fs::exists(dir / "metrics.json")) {
      dirs.push_back(g);
    } else if (fs::exists(dir / "compare.json")) {
      nlohmann::json runs;
      try {
        runs = nlohmann::json::parse(read_file((dir / "compare.json").string()));
      } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error("'" + (dir / "compare.json").string() + "' is damaged: " + e.what());
      }
      for (const auto& r : runs) {
        // The folder beside compare.json, wherever the comparison was run from.
        const fs::path beside = dir / r.at("label").get<std::string>();
        dirs.push_back(fs::exists(beside) ? beside.string() : r.at("run").get<std::string>());
      }
    } else if (!fs::is_directory(dir)) {
      throw UsageError("'" + g + "' is not a folder; give run folders written by `ser train` or `ser compare`");
    } else {
      throw UsageError("'" + g + "' is neither a finished run (no metrics.json) nor a comparison (no compare.json)");
    }
  }
  return dirs;
}

// Folder names, made unique with their parent's name when two runs share one
// (fold_01 of two k-fold runs). The config name `ser compare` puts before "__"
// in every folder is left out when all share it: "kinds=mfcc" says more in a
// chart's legend than "features_compare_tess__kinds=mfcc".
std::vector<std::string> run_names(const std::vector<std::string>& dirs) {
  std::vector<std::string> names;
  std::set<std::string> used;
  for (const auto& d : dirs) {
    const fs::path p = fs::absolute(d).lexically_normal();
    std::string name = (p.has_filename() ? p : p.parent_path()).filename().string();
    if (used.count(name)) name = p.parent_path().filename().string() + "/" + name;
    const std::string base = name;
    for (int n = 2; used.count(name); ++n) name = base + '_' + std::to_string(n);
    used.insert(name);
    names.push_back(name);
  }
  if (names.size() < 2) return names;
  const size_t cut = names[0].find("__");
  if (cut == std::string::npos) return names;
  const std::string prefix = names[0].substr(0, cut + 2);
  for (const auto& n : names)
    if (n.size() <= prefix.size() || n.compare(0, prefix.size(), prefix) != 0) return names;
  for (auto& n : names) n.erase(0, prefix.size());
  return names;
}

// The config a run was trained with; a fold of a k-fold run has its parent's.
ExperimentConfig config_of(const std::string& dir) {
  const fs::path p = fs::absolute(dir).lexically_normal();
  const bool fold = !fs::exists(p / "run.json") && fs::exists(p.parent_path() / "run.json");
  return load_run_config(fold ? p.parent_path().string() : dir, data_dir());
}

// A run's examples written into `folder`, or the index of an identical set
// written for an earlier run (the runs of a sweep share their data); empty
// when there are none. Why they are missing goes to stderr: the metrics and
// curves need only the run folder.
std::string examples_for(const std::string& dir, const std::string& folder,
                         std::map<std::string, std::string>& written) {
  try {
    const ExperimentConfig c = config_of(dir);
    fs::remove_all(folder);
    const std::string index =
        c.data.images ? write_face_examples(c, dir, folder) : write_audio_examples(c, folder, std::cerr);
    if (index.empty()) return "";
    const std::string text = read_file(index);
    if (const auto same = written.find(text); same != written.end()) {
      fs::remove_all(folder);
      return same->second;
    }
    return written[text] = index;
  } catch (const std::exception& e) {
    std::cerr << "report: no examples for '" << dir << "': " << e.what() << "\n";
    return "";
  }
}

}  // namespace

int report_command(const std::vector<std::string>& args) {
  ArgParser p("report", R"(Writes a Jupyter notebook of one run, or of several side by side, and renders it to one
self-contained HTML file: config, metrics, classification report, training curves,
confusion matrix, F1 per class and, for audio runs, one example file per class (waveform,
mel spectrogram, MFCC) read from the run's data ($SER_DATA). A `ser compare` folder stands
for all its runs. Rendering uses Jupyter's nbconvert (jupyter-nbconvert, or $SER_NBCONVERT);
without it the notebook is still written and the command to render it is printed.
Example: ser report runs/compare/20261201-120000 --out reports/features)");
  p.positional("RUN_DIR", "run folders (ser train) or comparison folders (ser compare)", /*many=*/true)
      .option("--out", "DIR", "where report.ipynb, report.html and the example arrays go")
      .flag("--no-html", "write the notebook only, do not execute and render it");
  if (!p.parse(args)) return 0;
  if (p.positionals().empty()) throw UsageError("give at least one run folder");
  const std::string out = p.text("--out");
  const std::vector<std::string> dirs = expand(p.positionals());
  const std::vector<std::string> names = run_names(dirs);

  std::vector<notebooks::ReportRun> runs;
  std::map<std::string, std::string> written;  // examples.json text -> its path, to share identical sets
  for (size_t i = 0; i < dirs.size(); ++i) {
    notebooks::ReportRun r;
    r.name = names[i];
    r.dir = dirs[i];
    r.examples = examples_for(dirs[i], (fs::path(out) / "examples" / std::to_string(i + 1)).string(), written);
    std::cout << "report: " << names[i] << (r.examples.empty() ? "" : " (with examples)") << "\n";
    runs.push_back(std::move(r));
  }
  const std::string notebook = notebooks::write_report_notebook(runs, out);
  std::cout << "notebook: " << notebook << "\n";
  if (p.flag_set("--no-html")) return 0;
  return render_report(notebook);
}

int render_report(const std::string& notebook) {
  std::cout << "executing and rendering it with nbconvert..." << std::flush;
  const notebooks::RenderResult html = notebooks::render_html(notebook);
  if (html.rendered) {
    std::cout << " done\nhtml: " << html.html << "\n";
    return 0;
  }
  std::cout << " not rendered\n";
  std::cerr << "report: " << html.problem << "\nrender it with:\n  " << html.command << "\n";
  // Without Jupyter the notebook is the deliverable; a render that failed is an error.
  return html.missing ? 0 : 1;
}

}  // namespace ser::experiments
