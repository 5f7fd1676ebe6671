#pragma once
// What the fast kernels share: scratch buffers that only grow (after the
// first batch of a shape a kernel allocates nothing), how many threads a
// batch is spread over (one per sample at most; one inside a parallel
// region), and element-wise work split over the threads.

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace ser::nn {

inline float* grow_scratch(std::vector<float>& v, int64_t n) {
  if (v.size() < static_cast<size_t>(n)) v.resize(static_cast<size_t>(n));
  return v.data();
}

inline int batch_threads(int64_t batch) {
  return omp_in_parallel() ? 1 : static_cast<int>(std::min<int64_t>(batch, omp_get_max_threads()));
}

// Runs work(lo, hi) over [0, n): in one call below `min_parallel` elements
// (or inside a parallel region), else split over the threads in whole cache
// lines (16 floats). For element-wise work, where the split changes no bit.
template <typename Work>
void for_element_ranges(int64_t n, int64_t min_parallel, const Work& work) {
  if (n < min_parallel || omp_in_parallel()) {
    work(int64_t{0}, n);
    return;
  }
#pragma omp parallel
  {
    const int64_t t = omp_get_thread_num(), T = omp_get_num_threads(), lines = (n + 15) / 16;
    const int64_t lo = std::min(n, lines * t / T * 16), hi = std::min(n, lines * (t + 1) / T * 16);
    if (hi > lo) work(lo, hi);
  }
}

}  // namespace ser::nn
