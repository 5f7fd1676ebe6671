#pragma once
// A bidirectional recurrent layer's output from its two directions, as
// PyTorch and Keras' Bidirectional join them: per step [forward, backward],
// or [forward at the last step, backward at the first].

#include "nn/ops.hpp"

namespace ser::nn {

// `sequence(input, reverse)` runs one direction (the reverse weights when
// `reverse`) over every step of `input`, [N, T, F] -> [N, T, H].
template <class Sequence>
Tensor bidirectional(const Tensor& x, bool return_sequences, Sequence sequence) {
  const Tensor ahead = sequence(x, false);
  const Tensor back = reverse_steps(sequence(reverse_steps(x), true));
  if (return_sequences) return concat_last(ahead, back);
  return concat_last(select_step(ahead, x.dim(1) - 1), select_step(back, 0));
}

}  // namespace ser::nn
