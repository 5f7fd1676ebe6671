#pragma once
// `ser predict FILE... --model RUN`: the emotion of recordings, or of the
// faces in images for a face model.

#include <string>
#include <vector>

#include "common/communicator.hpp"

namespace ser::experiments {

// Under mpirun every rank calls it; each takes every size()-th file and rank 0
// prints them all, in order.
int predict_command(const std::vector<std::string>& args, const Communicator& world = {});

}  // namespace ser::experiments
