#include "experiments/eval_report.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "common/atomic_file.hpp"
#include "experiments/report_examples.hpp"
#include "notebooks_export/report.hpp"

namespace ser::experiments {
namespace fs = std::filesystem;
namespace {

// The notebook's account of what was scored, where a run's report has its
// facts and config.
std::string about(const std::vector<std::string>& run_dirs, const EvalOptions& o, const EvalResult& r) {
  std::ostringstream text;
  text << "Written by `ser eval`. ";
  if (run_dirs.size() == 1) {
    text << "The model of `" << run_dirs.front() << "`. ";
  } else {
    text << "An ensemble of " << run_dirs.size() << " models, their class probabilities averaged:\n";
    for (const auto& d : run_dirs) text << "\n- `" << d << "`";
    text << "\n\n";
  }
  const std::string part = kEvalParts[static_cast<int>(o.part)];
  text << "Scored on " << (o.part == EvalPart::all ? "every file of the data set" : "the " + part + " part of the first run's split");
  if (const std::string views = describe_views(o); !views.empty()) text << ", " << views;
  text << ": " << r.files << " files";
  if (r.unknown) text << ", " << r.unknown << " left out (labels the model does not know)";
  text << ". Every prediction is in `scores/evaluation.json`.";
  return text.str();
}

}  // namespace

std::string write_eval_report(const std::vector<std::string>& run_dirs, const EvalOptions& o, const EvalResult& r,
                              const std::string& out_dir, std::ostream& log) {
  const std::string section = kEvalParts[static_cast<int>(o.part)];
  const fs::path scores = fs::path(out_dir) / "scores";
  fs::create_directories(scores);
  nlohmann::ordered_json metrics;
  metrics[section] = nlohmann::ordered_json::parse(metrics_json(r.metrics));
  write_file_atomically((scores / "metrics.json").string(), metrics.dump(2) + "\n");
  write_file_atomically((scores / "evaluation.json").string(), r.json);
  notebooks::ReportRun run{run_dirs.size() == 1 ? fs::path(run_dirs.front()).filename().string()
                                                : "ensemble of " + std::to_string(run_dirs.size()) + " runs",
                           scores.string(), "", section, about(run_dirs, o, r)};
  const fs::path examples = fs::path(out_dir) / "examples";
  fs::remove_all(examples);
  try {
    run.examples = r.config.data.images ? write_eval_face_examples(r, examples.string())
                                        : write_audio_examples(r.config, examples.string(), log);
  } catch (const std::exception& e) {
    log << "report: no examples: " << e.what() << "\n";
  }
  return notebooks::write_report_notebook({run}, out_dir);
}

}  // namespace ser::experiments
