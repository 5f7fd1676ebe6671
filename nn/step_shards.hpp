#pragma once
// One training step's batch cut into shards, for data-parallel training.
//
// The batch's `rows` rows are cut into `count` shards (shard s holds rows
// [rows*s/count, rows*(s+1)/count)), and the ranks of a job hold
// consecutive shards (rank r of N: shards [count*r/N, count*(r+1)/N)).
// A rank computes on its shards' rows only. Every sum over the batch, a
// weight's gradient, BatchNorm's statistics, the loss, is summed within
// each shard, then over the shards in shard order, wherever they were
// computed: the bits depend on `count`, never on the number of ranks.
// count = 1 is the plain step (every sum as the kernels make it).

#include <cstdint>
#include <map>
#include <span>
#include <utility>
#include <vector>

#include "common/communicator.hpp"
#include "nn/tensor.hpp"

namespace ser::nn {

class StepShards {
 public:
  // Batches in `count` shards, shared over the ranks of `comm` (which must
  // outlive this). Throws std::invalid_argument when a rank would hold no
  // shard (count < comm.size()). One object serves a whole run: its
  // buffers (the partials, the exchange's) are kept from step to step.
  StepShards(int count, const Communicator& comm);
  // A new step, of a batch of `rows` rows.
  void start(int64_t rows);

  int count() const { return count_; }
  const Communicator& comm() const { return *comm_; }
  int first() const { return first_; }  // this rank's shards: [first, last)
  int last() const { return last_; }
  int64_t rows() const { return rows_; }
  // Shard s's first row in the whole batch.
  int64_t begin(int shard) const { return rows_ * shard / count_; }
  // This rank's rows: [local_begin, local_begin + local_rows) of the batch.
  int64_t local_begin() const { return begin(first_); }
  int64_t local_rows() const { return begin(last_) - begin(first_); }
  // Shard s's rows as offsets into this rank's rows.
  std::pair<int64_t, int64_t> local_range(int shard) const { return {begin(shard) - local_begin(), begin(shard + 1) - local_begin()}; }

  // `partials` holds `width` sums for each of this rank's shards, in shard
  // order. Returns the `width` totals: the shards' sums added in shard
  // order (the first shard's as they are), the same bits on every rank.
  std::vector<float> fold(std::span<const float> partials, int64_t width) const;

  // count > 1: a weight's gradient from one shard of this step, a
  // zero-filled buffer of its size (null when it needs none).
  float* partial(TensorImpl& param, int shard);

  // After backward: every weight that took partials gets their fold over
  // all shards of all ranks, added to the gradient it already holds from
  // outside the shards (an L2 penalty). One exchange for all of them: each
  // rank folds a slice of the weights (reduce-scatter), then every rank
  // gathers every slice (all-gather). `params` fixes the order, the same on
  // every rank.
  void reduce_gradients(const std::vector<Tensor>& params);

  // Bytes this rank sent in its last reduce_gradients (0 for one process),
  // and the wall time it took (the exchange and the folds, for benchmarks).
  int64_t bytes_sent() const { return bytes_sent_; }
  double reduce_seconds() const { return reduce_seconds_; }

 private:
  struct Partial {
    std::vector<float> values;
    uint64_t step = 0;  // the step they belong to (older: stale, zeroed on first use)
  };
  // The local shards' partials of the weights in `params` order, as one
  // flat vector per shard: element e of shard l into out[0, to - from).
  void copy_flat(const std::vector<TensorImpl*>& weights, const std::vector<int64_t>& offset, int64_t l, int64_t from,
                 int64_t to, float* out);
  void fold_here(const std::vector<TensorImpl*>& weights);
  void fold_across_ranks(const std::vector<TensorImpl*>& weights, const std::vector<int64_t>& offset);

  int64_t rows_ = 0;
  int count_, first_, last_;
  const Communicator* comm_;
  uint64_t step_ = 0;
  std::map<const TensorImpl*, std::vector<Partial>> partials_;  // per weight, per local shard
  std::vector<float> send_, received_, gathered_;                // the exchange's buffers, kept
  int64_t bytes_sent_ = 0;
  double reduce_seconds_ = 0;
};

// The rows an op computes on, piece by piece: shard 0 as [0, n) without
// shards, or each of this rank's shards (`n` must be its rows).
struct ShardRows {
  int shard;
  int64_t begin, end;
};
std::vector<ShardRows> shard_rows(const StepShards* shards, int64_t n);

}  // namespace ser::nn
