#pragma once
// Output extent and padding of a sliding window (convolution or pooling)
// along one axis, with Keras/TensorFlow `same` semantics and explicit padding.

#include <cstdint>
#include <string>

namespace ser::nn {

enum class Padding { valid, same, explicit_pad };

struct Extent {
  int64_t out = 0;         // number of output positions
  int64_t pad_before = 0;  // implicit positions before the input
  int64_t pad_after = 0;
};

// `same`: out = ceil(in / stride) and the total padding is split with the
// smaller half before (TensorFlow's rule). `explicit_pad`: `pad` on each side
// (PyTorch's `padding=`). Windows that would need more input than exists
// are dropped (floor), as in both frameworks. Throws std::invalid_argument,
// naming the sizes, when no output position fits.
Extent window_extent(int64_t in, int64_t kernel, int64_t stride, int64_t dilation, Padding mode, int64_t pad = 0);

// First and last output index o (inclusive) whose input position
// o * stride + offset lies in [0, in); hi < lo when there is none.
struct IndexRange {
  int64_t lo, hi;
};
IndexRange valid_outputs(int64_t in, int64_t out, int64_t stride, int64_t offset);

Padding parse_padding(const std::string& s);  // "valid" | "same"; throws otherwise
std::string padding_name(Padding p);

}  // namespace ser::nn
