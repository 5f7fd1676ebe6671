#pragma once
// `ser data ROOT --dataset NAME [--json]`: what a data set folder holds.

#include <string>
#include <vector>

#include "common/communicator.hpp"

namespace ser::experiments {

// Under mpirun every rank calls it; the ranks share --cache's extraction.
int data_command(const std::vector<std::string>& args, const Communicator& comm = {});

}  // namespace ser::experiments
