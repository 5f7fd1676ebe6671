#pragma once
// `ser report RUN_DIR... --out DIR`: a notebook and an HTML report of one run
// or a comparison of several (notebooks_export/), with audio examples taken
// from each run's own data.

#include <string>
#include <vector>

namespace ser::experiments {

int report_command(const std::vector<std::string>& args);

// Executes a report notebook and renders it to HTML beside it with
// nbconvert, printing where it went; without Jupyter, prints the command to
// run instead. Returns the exit status: 1 only when a render failed.
int render_report(const std::string& notebook);

}  // namespace ser::experiments
