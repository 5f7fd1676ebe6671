#pragma once
// `ser features AUDIO --kind K --out X.npy`: one librosa feature of one file,
// written as a NumPy array shaped [features, frames] like librosa's.

#include <string>
#include <vector>

namespace ser::experiments {

// Returns the process exit code; prints --help when asked.
int features_command(const std::vector<std::string>& args);

}  // namespace ser::experiments
