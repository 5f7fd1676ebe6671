#pragma once
// Image files to 8-bit grayscale pixels: JPEG through libjpeg-turbo, PNG
// through libpng. Both are the maintained reference decoders of their
// formats and are fuzzed continuously upstream (OSS-Fuzz); the stb_image
// snapshot Debian 12 ships was found by our fuzzing to write past its tables
// on crafted JPEGs. Every dimension is checked before anything is decoded,
// and a file the decoder has to patch up (a cut or corrupt stream) is
// refused rather than read with made-up pixels.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ser::datasets {

struct GrayImage {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;  // row-major, width x height
};

// The image in `bytes`, or the reason it is not one. Images larger than
// `max_pixels` are refused from their header. Colour images are converted to
// gray as their decoder does (JPEG: the luma channel; PNG: libpng's sRGB weights).
std::optional<std::string> decode_gray_image(std::string_view bytes, GrayImage& out, int64_t max_pixels = 1 << 24);

}  // namespace ser::datasets
