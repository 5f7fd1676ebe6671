#pragma once
// `ser report RUN_DIR... --out DIR`: a notebook and an HTML report of one run
// or a comparison of several (notebooks_export/), with audio examples taken
// from each run's own data.

#include <string>
#include <vector>

namespace ser::experiments {

int report_command(const std::vector<std::string>& args);

}  // namespace ser::experiments
