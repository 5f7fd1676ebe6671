#pragma once
// The classical baselines the published projects name beside their networks
// ("deep learning and machine-learning algorithms"; scikit-learn in the TESS
// project): linear models fitted by convex solvers to their optimum, not by
// epochs of SGD. Each gives a weight matrix in Dense's layout, so a fitted
// model is an ordinary Sequential (flatten, dense) and predicts, evaluates
// and exports like any network. The data is n rows of d features, row-major,
// already scaled; labels are class indices 0..classes-1.

#include <cstdint>
#include <span>
#include <vector>

namespace ser::nn::classical {

struct Rows {
  std::span<const float> x;  // n x d, row-major
  std::span<const int32_t> y;
  int64_t n = 0, d = 0;
  int classes = 0;
};

struct LinearModel {
  std::vector<float> weight;  // classes x d (Dense's [units, features])
  std::vector<float> bias;    // classes
  int iterations = 0;         // the solver's passes (L-BFGS iterations, coordinate-descent epochs)
  bool converged = false;     // stopped by its tolerance, not by max_iter
  double objective = 0;       // the objective at the end, as the solver defines it
};

// Throws std::invalid_argument when the rows and their sizes disagree or a
// label is outside 0..classes-1.
void check_rows(const Rows& rows);

}  // namespace ser::nn::classical
