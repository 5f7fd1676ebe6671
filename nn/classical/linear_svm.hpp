#pragma once
// Linear SVM, one-vs-rest, hinge loss: for each class c, with t_i = +1 on
// its rows and -1 elsewhere, min |w|^2 / 2 + C * sum_i max(0, 1 - t_i (w.x_i
// + b)), the intercept regularised as a feature of constant 1 -- exactly the
// problem liblinear solves for scikit-learn's LinearSVC(loss="hinge",
// intercept_scaling=1). Solved in the dual by coordinate descent (Hsieh et
// al. 2008, liblinear's solver), rows visited in a seeded random order; the
// classes run in parallel, each on its own, so any thread count gives the
// same bits.

#include <cstdint>

#include "nn/classical/linear_model.hpp"

namespace ser::nn::classical {

struct SvmOptions {
  double C = 1.0;
  int max_iter = 1000;      // passes over the rows, per class
  double tolerance = 1e-4;  // stop when the projected gradient's spread is below this
  uint64_t seed = 42;       // the order rows are visited in
};

// `objective` of the result: the sum of the classes' primal objectives.
LinearModel fit_linear_svm(const Rows& rows, const SvmOptions& options, int threads);

}  // namespace ser::nn::classical
