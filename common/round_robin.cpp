#include "common/round_robin.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace ser {

RoundRobin::RoundRobin(int64_t items, const Communicator& comm)
    : comm_(&comm), items_(items), first_(comm.rank()), step_(comm.size()) {
  count_ = items_ > first_ ? (items_ - first_ + step_ - 1) / step_ : 0;
}

std::vector<float> RoundRobin::gather(std::span<const float> mine,
                                      const std::function<int64_t(int64_t)>& width) const {
  std::vector<int64_t> start(static_cast<size_t>(items_) + 1, 0);
  for (int64_t i = 0; i < items_; ++i) start[static_cast<size_t>(i) + 1] = start[static_cast<size_t>(i)] + width(i);
  const std::vector<float> all = comm_->all_gather(mine);  // rank 0's items, then rank 1's, ...
  std::vector<float> out(static_cast<size_t>(start.back()));
  size_t at = 0;
  for (int64_t rank = 0; rank < step_; ++rank)
    for (int64_t i = rank; i < items_; i += step_) {
      const auto n = static_cast<size_t>(width(i));
      if (at + n > all.size())
        throw std::logic_error("RoundRobin::gather: the ranks sent " + std::to_string(all.size()) +
                               " floats, fewer than their items' widths");
      std::copy_n(all.begin() + static_cast<std::ptrdiff_t>(at), n,
                  out.begin() + static_cast<std::ptrdiff_t>(start[static_cast<size_t>(i)]));
      at += n;
    }
  if (at != all.size())
    throw std::logic_error("RoundRobin::gather: the ranks sent " + std::to_string(all.size()) +
                           " floats, their items' widths add up to " + std::to_string(at));
  return out;
}

}  // namespace ser
