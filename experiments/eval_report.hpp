#pragma once
// `ser eval --report DIR`: what `ser eval` scored (one run or an ensemble,
// on a part of the first run's split or on a whole data set, in its
// test-time views) as a report of its own: metrics, classification report,
// confusion matrix, F1 per class and, for image models, a page of faces with
// the ensemble's predictions. The headline of a FER2013 ensemble has no run
// folder of its own; this is its report.

#include <string>
#include <vector>

#include "experiments/evaluate_run.hpp"

namespace ser::experiments {

// Writes DIR/scores/ (metrics.json with one section named after the part,
// and evaluation.json, the result's JSON), DIR/examples/ and
// DIR/report.ipynb; returns the notebook's path. Examples that cannot be
// made are reported to `log` and left out.
std::string write_eval_report(const std::vector<std::string>& run_dirs, const EvalOptions& options,
                              const EvalResult& result, const std::string& out_dir, std::ostream& log);

}  // namespace ser::experiments
