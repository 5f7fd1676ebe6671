// The FER2013 CSV loader on arbitrary text: every row is a face or a skipped
// row with its reason; a file is refused only for its header.
#include <cstdlib>
#include <stdexcept>

#include "datasets/fer2013.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ser::fuzz::MemFile file(data, size);
  try {
    const auto c = ser::datasets::load_fer2013_csv(file.path());
    if (c.pixels.size() != c.corpus.samples.size() * 48 * 48) std::abort();
    for (const auto& s : c.corpus.samples)
      if (c.corpus.label_index(s.label) < 0) std::abort();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
