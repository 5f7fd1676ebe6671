#pragma once
// `ser faces INPUT... --model RUN`: the emotion of every face in images,
// folders of images, videos or a camera stream (experiments/faces.hpp).

#include <string>
#include <vector>

namespace ser::experiments {

// Returns the process exit code; prints --help when asked.
int faces_command(const std::vector<std::string>& args);

}  // namespace ser::experiments
