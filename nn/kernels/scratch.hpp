#pragma once
// What the fast kernels share: scratch buffers that only grow (after the
// first batch of a shape a kernel allocates nothing), and how many threads
// a batch is spread over (one per sample at most; one inside a parallel region).

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

}  // namespace ser::nn
