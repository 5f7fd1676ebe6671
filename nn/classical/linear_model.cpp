#include "nn/classical/linear_model.hpp"

#include <stdexcept>
#include <string>

namespace ser::nn::classical {

void check_rows(const Rows& r) {
  if (r.n < 1 || r.d < 1 || r.classes < 2)
    throw std::invalid_argument("a classical model needs rows, features and at least two classes; got " +
                                std::to_string(r.n) + " rows of " + std::to_string(r.d) + " features in " +
                                std::to_string(r.classes) + " classes");
  if (static_cast<int64_t>(r.x.size()) != r.n * r.d || static_cast<int64_t>(r.y.size()) != r.n)
    throw std::invalid_argument("the rows hold " + std::to_string(r.x.size()) + " values and " +
                                std::to_string(r.y.size()) + " labels, not " + std::to_string(r.n) + " x " +
                                std::to_string(r.d) + " and " + std::to_string(r.n));
  for (int64_t i = 0; i < r.n; ++i)
    if (r.y[static_cast<size_t>(i)] < 0 || r.y[static_cast<size_t>(i)] >= r.classes)
      throw std::invalid_argument("row " + std::to_string(i) + " has label " +
                                  std::to_string(r.y[static_cast<size_t>(i)]) + ", outside 0.." +
                                  std::to_string(r.classes - 1));
}

}  // namespace ser::nn::classical
