#include "nn/step_shards.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>

namespace ser::nn {

namespace {
// Shards [first, last) of rank r of n.
std::pair<int, int> shards_of(int count, int rank, int ranks) {
  const auto at = [&](int r) { return static_cast<int>(int64_t{count} * r / ranks); };
  return {at(rank), at(rank + 1)};
}

// acc = the first of `parts` (each `width` long), then each next one added: the shard order.
void fold_into(const float* parts, int64_t count, int64_t width, float* acc) {
  std::copy(parts, parts + width, acc);
  for (int64_t s = 1; s < count; ++s) {
    const float* p = parts + s * width;
    for (int64_t i = 0; i < width; ++i) acc[i] += p[i];
  }
}
}  // namespace

StepShards::StepShards(int64_t rows, int count, const Communicator& comm) : rows_(rows), count_(count), comm_(&comm) {
  if (count < comm.size())
    throw std::invalid_argument("a batch cut into " + std::to_string(count) + " shards cannot be shared by " +
                                std::to_string(comm.size()) + " ranks (each needs a shard); raise training.shards");
  std::tie(first_, last_) = shards_of(count, comm.rank(), comm.size());
}

std::vector<float> StepShards::fold(std::span<const float> partials, int64_t width) const {
  std::vector<float> all;
  if (comm_->distributed()) {
    std::vector<int64_t> counts;
    for (int r = 0; r < comm_->size(); ++r) {
      const auto [a, b] = shards_of(count_, r, comm_->size());
      counts.push_back((b - a) * width);
    }
    all = comm_->all_gather(partials, counts);  // rank order is shard order
  } else {
    all.assign(partials.begin(), partials.end());
  }
  std::vector<float> total(static_cast<size_t>(width));
  fold_into(all.data(), count_, width, total.data());
  return total;
}

float* StepShards::partial(TensorImpl& param, int shard) {
  if (!param.requires_grad) return nullptr;
  auto& mine = partials_[&param];
  if (mine.empty()) mine.assign(static_cast<size_t>(last_ - first_), {});
  auto& buffer = mine[static_cast<size_t>(shard - first_)];
  if (buffer.empty()) buffer.assign(static_cast<size_t>(param.shape.numel()), 0.0f);
  return buffer.data();  // a weight used twice in one step adds its second use
}

void StepShards::reduce_gradients(const std::vector<Tensor>& params) {
  bytes_sent_ = 0;
  if (count_ == 1) return;
  const auto start = std::chrono::steady_clock::now();
  // The weights that took partials, in the caller's order, as one flat vector of P values.
  std::vector<TensorImpl*> weights;
  std::vector<int64_t> offset = {0};
  for (Tensor p : params)
    if (partials_.count(&p.impl())) {
      weights.push_back(&p.impl());
      offset.push_back(offset.back() + p.numel());
    }
  const int64_t P = offset.back(), local = last_ - first_;
  const int ranks = comm_->size(), me = comm_->rank();
  const auto seg = [&](int r) { return std::pair{P * r / ranks, P * (r + 1) / ranks}; };
  // Flat element e of local shard l.
  auto copy_flat = [&](int64_t l, int64_t from, int64_t to, float* out) {
    for (size_t w = 0; w < weights.size(); ++w) {
      const int64_t a = std::max(from, offset[w]), b = std::min(to, offset[w + 1]);
      if (a >= b) continue;
      const auto& part = partials_[weights[w]][static_cast<size_t>(l)];
      if (part.empty()) {  // a shard the weight's op never reached: nothing to add
        std::fill(out + (a - from), out + (b - from), 0.0f);
        continue;
      }
      std::copy(part.data() + (a - offset[w]), part.data() + (b - offset[w]), out + (a - from));
    }
  };
  std::vector<float> folded(static_cast<size_t>(P));
  if (ranks == 1) {
    std::vector<float> parts(static_cast<size_t>(local * P));
    for (int64_t l = 0; l < local; ++l) copy_flat(l, 0, P, parts.data() + l * P);
    fold_into(parts.data(), local, P, folded.data());
  } else {
    // Reduce-scatter: rank j receives every shard's slice j and folds it in shard order.
    std::vector<float> send;
    std::vector<int64_t> send_counts, recv_counts;
    for (int j = 0; j < ranks; ++j) {
      const auto [a, b] = seg(j);
      for (int64_t l = 0; l < local; ++l) {
        send.resize(send.size() + static_cast<size_t>(b - a));
        copy_flat(l, a, b, send.data() + send.size() - (b - a));
      }
      send_counts.push_back(local * (b - a));
      const auto [fa, fb] = shards_of(count_, j, ranks);
      recv_counts.push_back((fb - fa) * (seg(me).second - seg(me).first));
      if (j != me) bytes_sent_ += static_cast<int64_t>(sizeof(float)) * local * (b - a);
    }
    const std::vector<float> slices = comm_->all_to_all(send, send_counts, recv_counts);
    const auto [ma, mb] = seg(me);
    std::vector<float> mine(static_cast<size_t>(mb - ma));
    fold_into(slices.data(), count_, mb - ma, mine.data());
    // All-gather: every rank's folded slice, in rank order, is the whole vector.
    std::vector<int64_t> counts;
    for (int j = 0; j < ranks; ++j) counts.push_back(seg(j).second - seg(j).first);
    folded = comm_->all_gather(mine, counts);
    bytes_sent_ += static_cast<int64_t>(sizeof(float)) * (P - (mb - ma));  // a ring passes on every other slice
  }
  for (size_t w = 0; w < weights.size(); ++w) {
    float* g = weights[w]->grad_data(1);
    for (int64_t i = offset[w]; i < offset[w + 1]; ++i) g[i - offset[w]] += folded[static_cast<size_t>(i)];
  }
  partials_.clear();
  reduce_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::vector<ShardRows> shard_rows(const StepShards* shards, int64_t n) {
  if (!shards || shards->count() == 1) return {{0, 0, n}};
  if (n != shards->local_rows())
    throw std::invalid_argument("a sharded op got " + std::to_string(n) + " rows; this rank holds " +
                                std::to_string(shards->local_rows()));
  std::vector<ShardRows> out;
  for (int s = shards->first(); s < shards->last(); ++s) {
    const auto [a, b] = shards->local_range(s);
    out.push_back({s, a, b});
  }
  return out;
}

}  // namespace ser::nn
