#pragma once
// A .npy file's bytes built by hand, for tests of the reader.

#include <cstddef>
#include <string>

namespace ser::test {

// Magic, version `major`.0, the header's length (2 bytes in version 1, 4
// after), the header padded so the data starts on a 64-byte boundary, as
// NumPy lays it out, then `size` bytes of data (zeros when `data` is null).
inline std::string npy_bytes(int major, std::string header, const void* data, size_t size) {
  const size_t preamble = major == 1 ? 10 : 12;
  header.append((64 - (preamble + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  // Appended piece by piece: GCC 12 at -O3 warns (-Warray-bounds, a false
  // positive) on the chain of string + char + char + string.
  std::string bytes("\x93NUMPY", 6);
  bytes += static_cast<char>(major);
  bytes += '\0';
  for (size_t i = 0; i < preamble - 8; ++i) bytes += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  bytes += header;
  if (data)
    bytes.append(static_cast<const char*>(data), size);
  else
    bytes.append(size, '\0');
  return bytes;
}

}  // namespace ser::test
