#pragma once
// Items of work (the runs of a sweep, the folds of a k-fold run) handed to
// the ranks of a job as each rank becomes free, and their results brought
// back to rank 0. Rank 0 works too: a second thread of it answers the
// others. One process simply works through the items in order.

#include <cstddef>
#include <functional>
#include <string>

#include "common/communicator.hpp"

namespace ser {

struct WorkEvents {
  // On rank 0, when item `item` goes to `rank`.
  std::function<void(size_t item, int rank)> started;
  // On rank 0 with the result `work` returned on `rank`, as each item ends.
  std::function<void(size_t item, int rank, const std::string& result)> finished;
};

// Every rank calls it with the same `items`. `work(i)` runs item i on the
// rank that took it and returns its result as bytes. The events run on
// rank 0 one at a time (never two at once). An exception from `work`
// leaves this function on its rank (the caller ends the job).
void share_work(const Communicator& comm, size_t items, const std::function<std::string(size_t)>& work,
                const WorkEvents& events = {});

}  // namespace ser
