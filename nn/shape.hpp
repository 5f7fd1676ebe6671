#pragma once
// Shape: up to kMaxRank dimensions, stored inline so shapes are cheap to copy.

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>

namespace ser::nn {

constexpr int kMaxRank = 6;

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  explicit Shape(std::span<const int64_t> dims);

  int rank() const { return rank_; }
  int64_t operator[](int i) const { return dims_[static_cast<size_t>(i)]; }
  int64_t& operator[](int i) { return dims_[static_cast<size_t>(i)]; }
  int64_t back() const { return dims_[static_cast<size_t>(rank_ - 1)]; }
  int64_t numel() const;
  std::span<const int64_t> dims() const { return {dims_.data(), static_cast<size_t>(rank_)}; }

  // The shape with `n` put in front (a batch dimension) or with the first dimension removed.
  Shape prepend(int64_t n) const;
  Shape drop_front() const;

  bool operator==(const Shape& other) const;
  // "[2, 3, 4]"
  std::string str() const;

 private:
  std::array<int64_t, kMaxRank> dims_{};
  int rank_ = 0;
};

}  // namespace ser::nn
