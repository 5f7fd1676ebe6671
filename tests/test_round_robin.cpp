// Items shared out among ranks in turn (common/round_robin.hpp). Run alone,
// and by CTest under mpirun with 2 ranks: every item is taken by exactly one
// rank, gather() returns every item's values in item order on every rank,
// whatever the widths (none at all for some items), and a rank whose share
// does not match its items' widths is refused on every rank.
#include <doctest/doctest.h>

#include <stdexcept>
#include <vector>

#include "common/communicator.hpp"
#include "common/round_robin.hpp"

namespace {

const ser::Communicator* world = nullptr;

int64_t width_of(int64_t item) { return item % 3; }  // 0, 1, 2, 0, ...: some items send nothing
float value_of(int64_t item, int64_t t) { return static_cast<float>(item * 10 + t); }

}  // namespace

TEST_CASE("every item is one rank's, and gather() returns all values in item order on every rank") {
  for (const int64_t n : {0, 1, 2, 5, 8}) {
    INFO(n, " items over ", world->size(), " ranks");
    const ser::RoundRobin share(n, *world);
    // Taken items: this rank's residue, in increasing order, and as many as the residue class holds.
    int64_t expected = 0;
    for (int64_t i = world->rank(); i < n; i += world->size()) ++expected;
    CHECK(share.count() == expected);
    std::vector<float> mine;
    for (int64_t j = 0; j < share.count(); ++j) {
      const int64_t item = share.item(j);
      CHECK(item % world->size() == world->rank());
      CHECK(item < n);
      for (int64_t t = 0; t < width_of(item); ++t) mine.push_back(value_of(item, t));
    }
    std::vector<float> whole;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t t = 0; t < width_of(i); ++t) whole.push_back(value_of(i, t));
    CHECK(share.gather(mine, width_of) == whole);
  }
}

TEST_CASE("a share that does not hold its items' widths is refused on every rank") {
  const ser::RoundRobin share(4, *world);
  std::vector<float> mine(static_cast<size_t>(share.count()), 1.0f);  // width 1 each
  if (world->is_root()) mine.push_back(2.0f);                         // one float too many from rank 0
  CHECK_THROWS_AS(share.gather(mine, [](int64_t) { return 1; }), std::logic_error);
  mine.resize(static_cast<size_t>(share.count()));
  if (world->is_root() && !mine.empty()) mine.pop_back();  // one too few
  CHECK_THROWS_AS(share.gather(mine, [](int64_t) { return 1; }), std::logic_error);
}

int main(int argc, char** argv) {
  ser::MpiSession mpi(argc, argv);
  world = &mpi.world();
  doctest::Context context(argc, argv);
  return context.run();
}
