#include "nn/shape.hpp"

#include <stdexcept>

namespace ser::nn {

Shape::Shape(std::initializer_list<int64_t> dims) : Shape(std::span<const int64_t>(dims.begin(), dims.size())) {}

Shape::Shape(std::span<const int64_t> dims) {
  if (dims.size() > static_cast<size_t>(kMaxRank))
    throw std::invalid_argument("shape has " + std::to_string(dims.size()) + " dimensions; at most " +
                                std::to_string(kMaxRank) + " are supported");
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] < 0) throw std::invalid_argument("shape dimension " + std::to_string(i) + " is negative");
    dims_[i] = dims[i];
  }
  rank_ = static_cast<int>(dims.size());
  int64_t n = 1;
  for (size_t i = 0; i < dims.size(); ++i)
    if (__builtin_mul_overflow(n, dims[i], &n))
      throw std::invalid_argument("shape " + str() + " has more elements than a 64-bit count holds");
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < rank_; ++i) n *= dims_[static_cast<size_t>(i)];
  return n;
}

Shape Shape::prepend(int64_t n) const {
  if (rank_ == kMaxRank) throw std::invalid_argument("cannot add a dimension to a rank-6 shape");
  Shape s;
  s.rank_ = rank_ + 1;
  s.dims_[0] = n;
  for (int i = 0; i < rank_; ++i) s.dims_[static_cast<size_t>(i + 1)] = dims_[static_cast<size_t>(i)];
  return s;
}

Shape Shape::drop_front() const {
  if (rank_ == 0) throw std::invalid_argument("cannot drop a dimension of a scalar shape");
  Shape s;
  s.rank_ = rank_ - 1;
  for (int i = 1; i < rank_; ++i) s.dims_[static_cast<size_t>(i - 1)] = dims_[static_cast<size_t>(i)];
  return s;
}

bool Shape::operator==(const Shape& other) const {
  if (rank_ != other.rank_) return false;
  for (int i = 0; i < rank_; ++i)
    if (dims_[static_cast<size_t>(i)] != other.dims_[static_cast<size_t>(i)]) return false;
  return true;
}

std::string Shape::str() const {
  std::string s = "[";
  for (int i = 0; i < rank_; ++i) {
    if (i) s += ", ";
    s += std::to_string(dims_[static_cast<size_t>(i)]);
  }
  return s + "]";
}

}  // namespace ser::nn
