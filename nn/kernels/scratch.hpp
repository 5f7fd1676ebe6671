#pragma once
// What the fast kernels share: scratch buffers that only grow (after the
// first batch of a shape a kernel allocates nothing), how many of the
// threads a caller allows a batch is spread over (one per sample at most;
// one inside a parallel region), element-wise work split over the threads,
// and tasks shared out with stealing. Every kernel takes its thread count
// as an argument (ggml's n_threads): nothing here reads OpenMP's global
// setting, so a step runs on the count its caller chose and on no other.

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace ser::nn {

inline float* grow_scratch(std::vector<float>& v, int64_t n) {
  if (v.size() < static_cast<size_t>(n)) v.resize(static_cast<size_t>(n));
  return v.data();
}

inline int batch_threads(int64_t batch, int threads) {
  return omp_in_parallel() ? 1 : static_cast<int>(std::clamp<int64_t>(batch, 1, std::max(threads, 1)));
}

// Runs work(lo, hi) over [0, n): in one call below `min_parallel` elements
// (or on one thread, or inside a parallel region), else split over
// `threads` threads in whole cache lines (16 floats). For element-wise
// work, where the split changes no bit.
template <typename Work>
void for_element_ranges(int64_t n, int64_t min_parallel, int threads, const Work& work) {
  if (n < min_parallel || threads <= 1 || omp_in_parallel()) {
    work(int64_t{0}, n);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int64_t t = omp_get_thread_num(), T = omp_get_num_threads(), lines = (n + 15) / 16;
    const int64_t lo = std::min(n, lines * t / T * 16), hi = std::min(n, lines * (t + 1) / T * 16);
    if (hi > lo) work(lo, hi);
  }
}

// Runs work(task) once for every task in [0, n) on `threads` OpenMP threads,
// then, once all tasks are done, then(t, T) on each of the T threads (t from
// 0): the reduction of what the tasks left, in the same team (a second
// region would cost another fork and join). Each thread first takes its own
// contiguous share of tasks from the front (the samples that the
// element-wise ops around it, split the same way, left in its cache), then
// takes what is left of the other shares from their backs. A core that runs
// slower for a while (a busy neighbour on a shared machine) then no longer
// holds the other up at the join.
// Which thread runs a task varies from run to run, so callers make each
// task's result independent of that.
struct NoThen {
  void operator()(int, int) const {}
};

template <typename Work, typename Then>
void for_tasks_balanced(int64_t n, int threads, const Work& work, const Then& then) {
  constexpr int kMaxShares = 64;
  threads = std::clamp(threads, 1, kMaxShares);
  if (threads == 1 || n <= 1) {
    for (int64_t i = 0; i < n; ++i) work(i);
    then(0, 1);
    return;
  }
  struct alignas(64) Share {
    std::atomic<uint64_t> range;  // low 32 bits: next from the front; high: one past the last
  };
  Share shares[kMaxShares];
  for (int t = 0; t < threads; ++t)
    shares[t].range.store(static_cast<uint64_t>(n * t / threads) | static_cast<uint64_t>(n * (t + 1) / threads) << 32,
                          std::memory_order_relaxed);
  auto take = [&](Share& sh, bool front) -> int64_t {
    uint64_t v = sh.range.load(std::memory_order_relaxed);
    for (;;) {
      const uint64_t lo = v & 0xffffffffu, hi = v >> 32;
      if (lo >= hi) return -1;
      const uint64_t next = front ? (lo + 1) | hi << 32 : lo | (hi - 1) << 32;
      if (sh.range.compare_exchange_weak(v, next, std::memory_order_acq_rel, std::memory_order_relaxed))
        return static_cast<int64_t>(front ? lo : hi - 1);
    }
  };
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    for (int64_t i; (i = take(shares[t], true)) >= 0;) work(i);
    for (int k = 1; k < threads; ++k)
      for (int64_t i; (i = take(shares[(t + k) % threads], false)) >= 0;) work(i);
    if constexpr (!std::is_same_v<Then, NoThen>) {
#pragma omp barrier
      then(t, omp_get_num_threads());
    }
  }
}

template <typename Work>
void for_tasks_balanced(int64_t n, int threads, const Work& work) {
  for_tasks_balanced(n, threads, work, NoThen{});
}

}  // namespace ser::nn
