#include "nn/kernels/geometry.hpp"

#include <algorithm>
#include <stdexcept>

namespace ser::nn {

Extent window_extent(int64_t in, int64_t kernel, int64_t stride, int64_t dilation, Padding mode, int64_t pad) {
  if (kernel < 1 || stride < 1 || dilation < 1 || pad < 0)
    throw std::invalid_argument("window: kernel, stride and dilation must be >= 1 and padding >= 0");
  const int64_t span = dilation * (kernel - 1) + 1;
  Extent e;
  if (mode == Padding::same) {
    e.out = (in + stride - 1) / stride;
    const int64_t total = std::max<int64_t>((e.out - 1) * stride + span - in, 0);
    e.pad_before = total / 2;
    e.pad_after = total - e.pad_before;
  } else {
    if (mode == Padding::explicit_pad) e.pad_before = e.pad_after = pad;
    const int64_t padded = in + e.pad_before + e.pad_after;
    e.out = padded >= span ? (padded - span) / stride + 1 : 0;
  }
  if (e.out < 1)
    throw std::invalid_argument("input of length " + std::to_string(in) + " is shorter than the window (" +
                                std::to_string(span) + " with dilation) plus padding: no output");
  return e;
}

IndexRange valid_outputs(int64_t in, int64_t out, int64_t stride, int64_t offset) {
  // o * stride + offset >= 0  and  o * stride + offset <= in - 1
  int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int64_t top = in - 1 - offset;
  int64_t hi = top < 0 ? -1 : std::min(out - 1, top / stride);
  return {lo, hi};
}

Padding parse_padding(const std::string& s) {
  if (s == "valid") return Padding::valid;
  if (s == "same") return Padding::same;
  throw std::invalid_argument("padding must be 'valid', 'same' or a number, got '" + s + "'");
}

std::string padding_name(Padding p) {
  switch (p) {
    case Padding::valid:
      return "valid";
    case Padding::same:
      return "same";
    case Padding::explicit_pad:
      return "explicit";
  }
  return "?";
}

}  // namespace ser::nn
