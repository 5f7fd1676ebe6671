#pragma once
// Which gradients a backward kernel writes (=) instead of adding to (+=):
// those made fresh this step (a new activation gradient, or a parameter's
// after zero_grad), which then need no zeroing pass first.

namespace ser::nn {

struct Overwrite {
  bool dx = false;      // the input gradient
  bool params = false;  // the weight and bias gradients
};

}  // namespace ser::nn
