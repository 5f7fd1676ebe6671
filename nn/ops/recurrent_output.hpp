#pragma once
// What the recurrent ops (lstm, gru) share: their output is every step's h
// or only the last step's, and the gradient of the last step alone is
// spread back over every step (zero elsewhere) for back-propagation through time.

#include <algorithm>
#include <cstdint>
#include <vector>

namespace ser::nn {

struct StepsShape {
  int64_t batch, steps, hidden;
};

// h [N, T, H] to the op's output: all of it, or [N, H] at t = T - 1.
inline void write_steps(const std::vector<float>& h, float* out, const StepsShape& s, bool return_sequences) {
  if (return_sequences) {
    std::copy(h.begin(), h.end(), out);
    return;
  }
  for (int64_t n = 0; n < s.batch; ++n)
    std::copy(h.begin() + (n * s.steps + s.steps - 1) * s.hidden, h.begin() + (n * s.steps + s.steps) * s.hidden,
              out + n * s.hidden);
}

// The gradient of the op's output as a gradient of every step: itself, or
// the last step's placed in a zero [N, T, H] (`storage` keeps it alive).
inline const float* steps_gradient(const float* dout, const StepsShape& s, bool return_sequences,
                                   std::vector<float>& storage) {
  if (return_sequences) return dout;
  storage.assign(static_cast<size_t>(s.batch * s.steps * s.hidden), 0.0f);
  for (int64_t n = 0; n < s.batch; ++n)
    std::copy(dout + n * s.hidden, dout + (n + 1) * s.hidden, storage.begin() + (n * s.steps + s.steps - 1) * s.hidden);
  return storage.data();
}

}  // namespace ser::nn
