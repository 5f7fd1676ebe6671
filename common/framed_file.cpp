#include "common/framed_file.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <sstream>

namespace ser {

uint32_t crc32_of(std::string_view bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const char* p = bytes.data();
  size_t n = bytes.size();
  while (n > 0) {  // zlib takes uInt lengths
    const uInt chunk = static_cast<uInt>(std::min<size_t>(n, size_t{1} << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(p), chunk);
    p += chunk;
    n -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

std::string frame(const FrameKind& kind, std::string_view body) {
  ByteWriter w;
  w.bytes().append(kind.magic.data(), kind.magic.size());
  w.pod<uint32_t>(kind.version);
  w.pod<uint64_t>(body.size());
  w.bytes().append(body.data(), body.size());
  w.pod<uint32_t>(crc32_of(body));
  return std::move(w.bytes());
}

std::string_view unframe(const FrameKind& kind, std::string_view bytes, const std::string& where) {
  const std::string magic(kind.magic);
  if (bytes.size() < magic.size() || bytes.compare(0, magic.size(), magic) != 0)
    throw FormatError(where + " is not a " + std::string(kind.title) + " (it does not start with \"" + magic + "\")");
  if (bytes.size() < kFrameHeader + kFrameTrailer)
    throw FormatError(where + " is truncated: " + std::to_string(bytes.size()) + " bytes, shorter than a header");
  uint32_t version;
  uint64_t length;
  std::memcpy(&version, bytes.data() + 8, 4);
  std::memcpy(&length, bytes.data() + 12, 8);
  if (version != kind.version)
    throw FormatError(where + " has format version " + std::to_string(version) + "; this build reads version " +
                      std::to_string(kind.version) + " (was it written by another ser version?)");
  const uint64_t available = bytes.size() - kFrameHeader - kFrameTrailer;
  if (length > available)
    throw FormatError(where + " is truncated: the header announces " + std::to_string(length) + " bytes of " +
                      std::string(kind.body) + ", the file holds " + std::to_string(available) +
                      " (an interrupted copy or download?)");
  if (length < available)
    throw FormatError(where + " has " + std::to_string(available - length) + " unexpected bytes after the " +
                      std::string(kind.body) + " (or its length field is damaged)");
  const std::string_view body = bytes.substr(kFrameHeader, length);
  uint32_t stored;
  std::memcpy(&stored, bytes.data() + kFrameHeader + length, 4);
  const uint32_t computed = crc32_of(body);
  if (stored != computed) {
    std::ostringstream m;
    m << where << " is corrupted: CRC-32 checksum mismatch (stored 0x" << std::hex << stored << ", computed 0x"
      << computed << "); the file was altered or damaged after it was written";
    throw FormatError(m.str());
  }
  return body;
}

}  // namespace ser
