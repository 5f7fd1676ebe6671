#pragma once
// What the ops over layers with weights (ops/dense.cpp, ops/conv.cpp) share:
// their argument checks and the gradients of their weight and bias.

#include <algorithm>
#include <stdexcept>
#include <string>

#include "nn/step_shards.hpp"
#include "nn/tensor.hpp"

namespace ser::nn::op_detail {

inline void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument(what);
}

// A layer's weight and bias gradients (null where not needed) and whether
// the kernel may write both rather than add to them: each is fresh (new, or
// stale after zero_grad). One flag covers the pair, so one fresh without
// the other is zeroed here and both are added to.
struct ParamGrads {
  float* dw = nullptr;
  float* db = nullptr;
  bool fresh = false;
};
inline ParamGrads param_grads(TensorImpl& w, TensorImpl* b) {
  ParamGrads g;
  bool w_fresh = false, b_fresh = false;
  g.dw = w.grad_to_write(w_fresh);
  if (b) g.db = b->grad_to_write(b_fresh);
  g.fresh = (!g.dw || w_fresh) && (!g.db || b_fresh);
  if (!g.fresh) {
    if (w_fresh) std::fill_n(g.dw, w.shape.numel(), 0.0f);
    if (b_fresh) std::fill_n(g.db, b->shape.numel(), 0.0f);
  }
  return g;
}

// The gradients the rows of one shard go to: the weights' own (as
// param_grads) without shards, else the shard's partials (added to).
inline ParamGrads shard_param_grads(StepShards* shards, int shard, TensorImpl& w, TensorImpl* b) {
  if (!shards || shards->count() == 1) return param_grads(w, b);
  return {shards->partial(w, shard), b ? shards->partial(*b, shard) : nullptr, false};
}

// For kernels that add to a weight's gradient: its own without shards, else the shard's partial.
inline float* shard_grad(StepShards* shards, int shard, TensorImpl& w, int threads) {
  if (!shards || shards->count() == 1) return w.grad_if_needed(threads);
  return shards->partial(w, shard);
}

// Row `row` of an array of `per_row` values per row (null stays null).
template <typename T>
T* row_at(T* p, int64_t row, int64_t per_row) {
  return p ? p + row * per_row : nullptr;
}

}  // namespace ser::nn::op_detail
