// The .npy reader (the feature cache's entries) on arbitrary bytes.
#include <cstdlib>

#include "common/npy.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ser::fuzz::MemFile file(data, size);
  try {
    const ser::NpyArray a = ser::read_npy(file.path());
    int64_t n = 1;
    for (int64_t d : a.shape) n *= d;
    if (n != a.numel()) std::abort();
  } catch (const ser::NpyError&) {
  }
  return 0;
}
