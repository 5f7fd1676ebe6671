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

// A buffer of at least n floats, kept from step to step: large fresh
// vectors cost their page faults again at every step (more than the
// exchange itself, bench/README.md).
float* room(std::vector<float>& v, int64_t n) {
  if (static_cast<int64_t>(v.size()) < n) v.resize(static_cast<size_t>(n));
  return v.data();
}
}  // namespace

StepShards::StepShards(int count, const Communicator& comm) : count_(count), comm_(&comm) {
  if (count < comm.size())
    throw std::invalid_argument("a batch cut into " + std::to_string(count) + " shards cannot be shared by " +
                                std::to_string(comm.size()) + " ranks (each needs a shard); raise training.shards");
  std::tie(first_, last_) = shards_of(count, comm.rank(), comm.size());
}

void StepShards::start(int64_t rows) {
  rows_ = rows;
  ++step_;
}

std::vector<float> StepShards::fold(std::span<const float> partials, int64_t width) const {
  std::vector<float> all(static_cast<size_t>(count_ * width));
  std::vector<int64_t> counts;
  for (int r = 0; r < comm_->size(); ++r) {
    const auto [a, b] = shards_of(count_, r, comm_->size());
    counts.push_back((b - a) * width);
  }
  comm_->all_gather(partials, counts, all);  // rank order is shard order
  std::vector<float> total(static_cast<size_t>(width));
  fold_into(all.data(), count_, width, total.data());
  return total;
}

float* StepShards::partial(TensorImpl& param, int shard) {
  if (!param.requires_grad) return nullptr;
  auto& mine = partials_[&param];
  if (mine.empty()) mine.resize(static_cast<size_t>(last_ - first_));
  Partial& p = mine[static_cast<size_t>(shard - first_)];
  if (p.step != step_) {  // first use in this step (a weight used twice adds its second use)
    p.values.assign(static_cast<size_t>(param.shape.numel()), 0.0f);
    p.step = step_;
  }
  return p.values.data();
}

void StepShards::copy_flat(const std::vector<TensorImpl*>& weights, const std::vector<int64_t>& offset, int64_t l,
                           int64_t from, int64_t to, float* out) {
  for (size_t w = 0; w < weights.size(); ++w) {
    const int64_t a = std::max(from, offset[w]), b = std::min(to, offset[w + 1]);
    if (a >= b) continue;
    const Partial& part = partials_[weights[w]][static_cast<size_t>(l)];
    if (part.step != step_) {  // a shard the weight's op never reached this step: it adds nothing
      std::fill(out + (a - from), out + (b - from), 0.0f);
      continue;
    }
    std::copy(part.values.data() + (a - offset[w]), part.values.data() + (b - offset[w]), out + (a - from));
  }
}

// One process: the same folds as across ranks, in place in each weight's first partial.
void StepShards::fold_here(const std::vector<TensorImpl*>& weights) {
  for (TensorImpl* w : weights) {
    auto& parts = partials_[w];
    const auto n = static_cast<size_t>(w->shape.numel());
    auto values = [&](size_t l) -> const float* { return parts[l].step == step_ ? parts[l].values.data() : nullptr; };
    if (!values(0)) partial(*w, first_);
    float* acc = parts[0].values.data();
    for (size_t l = 1; l < parts.size(); ++l) {
      const float* p = values(l);
      for (size_t i = 0; i < n; ++i) acc[i] += p ? p[i] : 0.0f;
    }
    float* g = w->grad_data(1);
    for (size_t i = 0; i < n; ++i) g[i] += acc[i];
  }
}

// Reduce-scatter (rank j receives every shard's slice j of the flat vector
// and folds it in shard order), then all-gather of the folded slices.
void StepShards::fold_across_ranks(const std::vector<TensorImpl*>& weights, const std::vector<int64_t>& offset) {
  const int64_t P = offset.back(), local = last_ - first_;
  const int ranks = comm_->size(), me = comm_->rank();
  const auto seg = [&](int r) { return std::pair{P * r / ranks, P * (r + 1) / ranks}; };
  std::vector<int64_t> send_counts, recv_counts, slice_counts;
  const auto [ma, mb] = seg(me);
  float* send = room(send_, local * P);
  int64_t at = 0;
  for (int j = 0; j < ranks; ++j) {
    const auto [a, b] = seg(j);
    for (int64_t l = 0; l < local; ++l, at += b - a) copy_flat(weights, offset, l, a, b, send + at);
    send_counts.push_back(local * (b - a));
    const auto [fa, fb] = shards_of(count_, j, ranks);
    recv_counts.push_back((fb - fa) * (mb - ma));
    slice_counts.push_back(b - a);
    if (j != me) bytes_sent_ += static_cast<int64_t>(sizeof(float)) * local * (b - a);
  }
  float* received = room(received_, count_ * (mb - ma));
  comm_->all_to_all({send, static_cast<size_t>(at)}, send_counts, recv_counts,
                    {received, static_cast<size_t>(count_ * (mb - ma))});
  std::vector<float> mine(static_cast<size_t>(mb - ma));
  fold_into(received, count_, mb - ma, mine.data());
  float* gathered = room(gathered_, P);
  comm_->all_gather(mine, slice_counts, {gathered, static_cast<size_t>(P)});
  bytes_sent_ += static_cast<int64_t>(sizeof(float)) * (P - (mb - ma));  // a ring passes on every other slice
  for (size_t w = 0; w < weights.size(); ++w) {
    float* g = weights[w]->grad_data(1);
    for (int64_t i = offset[w]; i < offset[w + 1]; ++i) g[i - offset[w]] += gathered[i];
  }
}

void StepShards::reduce_gradients(const std::vector<Tensor>& params) {
  bytes_sent_ = 0;
  if (count_ == 1) return;
  const auto start = std::chrono::steady_clock::now();
  // The weights that took partials this step, in the caller's order: one flat vector of P values.
  std::vector<TensorImpl*> weights;
  std::vector<int64_t> offset = {0};
  for (Tensor p : params) {
    const auto it = partials_.find(&p.impl());
    if (it == partials_.end() || std::none_of(it->second.begin(), it->second.end(),
                                              [&](const Partial& q) { return q.step == step_; }))
      continue;
    weights.push_back(&p.impl());
    offset.push_back(offset.back() + p.numel());
  }
  if (comm_->distributed())
    fold_across_ranks(weights, offset);
  else
    fold_here(weights);
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
