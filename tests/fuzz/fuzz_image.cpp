// FER2013 image decoding (libjpeg-turbo, libpng) on arbitrary bytes: a 48x48 face or a
// reason, never a read past the buffer or an allocation a header asked for.
#include <cstdint>
#include <string_view>

#include "datasets/fer2013.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint8_t pixels[48 * 48];
  (void)ser::datasets::decode_fer2013_image(std::string_view(reinterpret_cast<const char*>(data), size), pixels);
  return 0;
}
