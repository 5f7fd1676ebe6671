#pragma once
// `ser timeline AUDIO --model RUN`: emotion through a long recording
// (experiments/timeline.hpp), as a table, JSON, CSV and a picture.

#include <string>
#include <vector>

namespace ser::experiments {

// Returns the process exit code; prints --help when asked.
int timeline_command(const std::vector<std::string>& args);

}  // namespace ser::experiments
