#pragma once
// The envelope of ser's binary files (model files, checkpoints):
//
//   magic (8 bytes)  u32 format_version  u64 body_length  body  u32 crc32(body)
//
// little-endian. Reading checks the magic, the version, that the length
// matches the bytes present exactly and the CRC-32, before anything in the
// body is interpreted; a copy cut short, a flipped bit or a file of another
// kind is refused with a message that says which.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/bytes.hpp"

namespace ser {

struct FrameKind {
  std::string_view magic;  // exactly 8 bytes, e.g. "SERMODEL"
  uint32_t version;
  std::string_view title;  // "ser model file": "'x' is not a <title>"
  std::string_view body;   // "model data": "the header announces N bytes of <body>"
};

std::string frame(const FrameKind& kind, std::string_view body);

// The body of `bytes`, which came from `where` ("model file 'a.sermodel'").
// Throws FormatError naming `where` and the problem.
std::string_view unframe(const FrameKind& kind, std::string_view bytes, const std::string& where);

// Size of the envelope around a body: what a file of N body bytes occupies.
inline constexpr size_t kFrameHeader = 8 + 4 + 8, kFrameTrailer = 4;

uint32_t crc32_of(std::string_view bytes);

}  // namespace ser
