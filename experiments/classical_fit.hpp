#pragma once
// model.kind logistic, linear_svm or knn: the baseline fitted on the training
// rows (scaled as a network's would be) and handed back as an ordinary
// Sequential -- flatten, then dense (the linear models' weights) or knn (the
// rows remembered) -- so that it is saved, evaluated, reported and used by
// `ser predict` like any trained network.

#include <cstdint>
#include <ostream>
#include <vector>

#include "experiments/config.hpp"
#include "experiments/prepared_data.hpp"
#include "nn/sequential.hpp"

namespace ser::experiments {

nn::Sequential fit_classical(const ExperimentConfig& c, const PreparedData& p, const std::vector<size_t>& train_rows,
                             int threads, std::ostream& log);

}  // namespace ser::experiments
