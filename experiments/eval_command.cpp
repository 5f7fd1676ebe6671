#include "experiments/eval_command.hpp"

#include <algorithm>
#include <iostream>
#include <iterator>

#include "common/atomic_file.hpp"
#include "common/data_dir.hpp"
#include "experiments/arg_parser.hpp"
#include "experiments/eval_report.hpp"
#include "experiments/evaluate_run.hpp"
#include "experiments/metrics.hpp"
#include "experiments/report_command.hpp"

namespace ser::experiments {

namespace {

// What `ser eval` scored: how (models, views), on how many files, and the scores.
void print_scores(const EvalResult& r, const EvalOptions& o, size_t models) {
  if (models > 1) std::cout << "\nensemble of " << models << " models (probabilities averaged)";
  if (const std::string views = describe_views(o); !views.empty()) std::cout << "\n" << views;
  std::cout << "\n"
            << r.files << " files: accuracy " << r.metrics.accuracy << ", macro-F1 " << r.metrics.macro.f1 << ", UA "
            << r.metrics.unweighted_accuracy;
  if (r.unknown) std::cout << " (" << r.unknown << " left out: labels the model does not know)";
  std::cout << "\n" << classification_report(r.metrics);
}

// The options as EvalOptions; --part's word as its enum.
EvalOptions eval_options(const ArgParser& p) {
  EvalOptions o;
  o.mirror = p.flag_set("--mirror");
  o.data_root = p.maybe("--data-root").value_or("");
  o.cache_dir = p.maybe("--cache").value_or("");
  o.data_dir = data_dir();
  if (p.given("--threads")) o.threads = p.integer("--threads");
  if (p.given("--shift")) o.shift = p.integer("--shift");
  if (const auto part = p.maybe("--part")) {
    const auto& names = kEvalParts;
    const auto it = std::find(std::begin(names), std::end(names), *part);
    if (it == std::end(names)) throw UsageError("--part must be all, test or validation, not '" + *part + "'");
    o.part = static_cast<EvalPart>(it - std::begin(names));
  }
  return o;
}

}  // namespace

int eval_command(const std::vector<std::string>& args, const Communicator& world) {
  ArgParser p("eval", R"(Scores the model of a finished run on every file of a data set of the kind it was trained
on (for example held-out speakers kept in another folder), or on the test or validation
part of the run's own split, with the run's own feature recipe and scaling. Several runs
make an ensemble: each model reads the files its own way, their class probabilities are
averaged. Prints accuracy, macro-F1, UA and the classification report; files whose label
the model does not know are listed and left out.
Example: ser eval runs/crnn_seed1 runs/crnn_seed2 runs/mlp_seed1 --part test)");
  p.positional("DIR", "run directories written by `ser train` (several: an ensemble)", /*many=*/true)
      .option("--part", "all|test|validation",
              "which files: every file of the data set (default), or a part of the first run's split")
      .option("--data-root", "PATH",
              "the data set (default: the roots the run trained on; several corpora: PATH/<corpus>)")
      .option("--out", "FILE.json", "also write the metrics there (atomically)")
      .option("--report", "DIR",
              "also write a report there: notebook and HTML with the confusion matrix, F1 per "
              "class and, for faces, a page of them with the predictions (as `ser report` for a run)")
      .flag("--no-html", "with --report: write the notebook only, do not execute and render it")
      .option("--cache", "DIR", "feature cache (default: DIR/../../cache)")
      .option("--threads", "N", "threads for feature extraction and the model (default: the run's)")
      .flag("--mirror",
            "image models: also score each image mirrored left to right and average the two "
            "(test-time augmentation; decide on it with --part validation, not on the test part)")
      .option("--shift", "PIXELS",
              "image models: also score each image moved this many pixels up, down, left and "
              "right (edge pixels repeated) and average the views; with --mirror, ten views");
  if (!p.parse(args)) return 0;
  const EvalOptions o = eval_options(p);
  if (p.positionals().empty()) throw UsageError("give at least one run directory");
  const auto r = evaluate_runs(p.positionals(), o, std::cout, world);
  print_scores(r, o, p.positionals().size());
  // Every rank holds the whole result; rank 0 alone writes it, so that the
  // ranks of a job do not race to rename their copies over one another.
  if (const auto out = p.maybe("--out"); out && world.is_root()) {
    write_file_atomically(*out, r.json);
    std::cout << "metrics written to " << *out << "\n";
  }
  if (const auto report = p.maybe("--report"); report && world.is_root()) {
    const std::string notebook = write_eval_report(p.positionals(), o, r, *report, std::cerr);
    std::cout << "notebook: " << notebook << "\n";
    if (!p.flag_set("--no-html")) return render_report(notebook);
  }
  return 0;
}

}  // namespace ser::experiments
