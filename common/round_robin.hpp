#pragma once
// Items 0..n-1 (files, batches, rows) shared out among the ranks of a job in
// turn: rank r takes items r, r + size, r + 2 size, ... Neighbouring items
// are alike (files of one folder, batches of one split), so the shares are
// too. gather() brings every rank's values back in item order on every rank,
// so what follows runs as it does in one process.

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "common/communicator.hpp"

namespace ser {

class RoundRobin {
 public:
  // `comm` must outlive this object.
  RoundRobin(int64_t items, const Communicator& comm);

  int64_t count() const { return count_; }                  // this rank's items
  int64_t item(int64_t j) const { return first_ + j * step_; }  // the j-th of them

  // A collective (every rank calls it). `mine` holds this rank's items'
  // values one item after another, width(i) floats for item i; returns every
  // item's values in item order. Throws std::logic_error when a rank's share
  // does not hold its items' widths.
  std::vector<float> gather(std::span<const float> mine, const std::function<int64_t(int64_t)>& width) const;

 private:
  const Communicator* comm_;
  int64_t items_, first_, step_, count_;
};

}  // namespace ser
