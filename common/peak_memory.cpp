#include "common/peak_memory.hpp"

#include <sys/resource.h>

namespace ser {

double peak_resident_mib() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

}  // namespace ser
