#pragma once
// Multinomial logistic regression with an L2 penalty on the weights (not the
// intercepts): scikit-learn's LogisticRegression(penalty="l2", C, solver=
// "lbfgs") minimises C * sum_i CE_i + |W|^2 / 2, the same optimum as the mean
// cross-entropy plus |W|^2 / (2 C n) minimised here. L-BFGS (10 pairs,
// Armijo backtracking) in double precision, from zero.

#include "nn/classical/linear_model.hpp"

namespace ser::nn::classical {

struct LogisticOptions {
  double C = 1.0;           // inverse regularisation strength, as scikit-learn's
  int max_iter = 1000;      // L-BFGS iterations
  double tolerance = 1e-6;  // stop when the gradient's largest entry is below this
};

LinearModel fit_logistic(const Rows& rows, const LogisticOptions& options);

// The objective above and its gradient (weights then biases) at `theta`
// (classes x d weights, then classes biases): for the solver and its tests.
double logistic_objective(const Rows& rows, double C, std::span<const double> theta, std::span<double> gradient);

}  // namespace ser::nn::classical
