#pragma once
// `ser eval RUN... [--part test|validation] [--report DIR]`: a run's model, or
// an ensemble of runs, scored on a data set or a part of the first run's split.

#include <string>
#include <vector>

#include "common/communicator.hpp"

namespace ser::experiments {

// Under mpirun every rank calls it; the ranks share the files' features and
// the model's batches, and rank 0 alone writes --out and --report.
int eval_command(const std::vector<std::string>& args, const Communicator& world = {});

}  // namespace ser::experiments
