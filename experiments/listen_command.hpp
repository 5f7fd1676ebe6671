#pragma once
// `ser listen --model RUN`: the emotion of live audio from a microphone, a
// pipe of raw PCM or a file played at its own pace (experiments/listener.hpp).

#include <string>
#include <vector>

namespace ser::experiments {

// Returns the process exit code; prints --help when asked.
int listen_command(const std::vector<std::string>& args);

}  // namespace ser::experiments
