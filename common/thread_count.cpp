#include "common/thread_count.hpp"

#include <omp.h>

namespace ser {

int thread_count(int asked) { return asked > 0 ? asked : omp_get_max_threads(); }

}  // namespace ser
