#pragma once
// `ser data ROOT --dataset NAME [--json]`: what a data set folder holds.

#include <string>
#include <vector>

namespace ser::experiments {

int data_command(const std::vector<std::string>& args);

}  // namespace ser::experiments
