#pragma once
// Minimal reader for NumPy .npy files (format 1.0/2.0, little-endian, C
// order), enough for the reference arrays: float64, float32 and int64.

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace ser::test {

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<double> data;
  int64_t numel() const { return static_cast<int64_t>(data.size()); }
  std::vector<float> as_float() const { return {data.begin(), data.end()}; }
};

inline NpyArray read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto fail = [&](const std::string& what) { throw std::runtime_error(path + ": " + what); };
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) fail("not a .npy file");
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len, offset;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    offset = 10;
  } else {
    uint32_t n;
    std::memcpy(&n, bytes.data() + 8, 4);
    header_len = n;
    offset = 12;
  }
  const std::string header = bytes.substr(offset, header_len);
  const size_t data_at = offset + header_len;
  auto field = [&](const std::string& key) {
    const size_t k = header.find("'" + key + "'");
    if (k == std::string::npos) fail("header has no " + key);
    return header.substr(header.find(':', k) + 1);
  };
  const std::string descr_field = field("descr");
  const std::string descr = descr_field.substr(descr_field.find('\'') + 1, 3);
  if (field("fortran_order").find("False") != 0 && field("fortran_order").find(" False") != 0)
    fail("Fortran order is not supported");
  NpyArray a;
  std::string shape_text = field("shape");
  shape_text = shape_text.substr(shape_text.find('(') + 1, shape_text.find(')') - shape_text.find('(') - 1);
  int64_t count = 1;
  for (size_t pos = 0; pos < shape_text.size();) {
    const size_t comma = std::min(shape_text.find(',', pos), shape_text.size());
    const std::string tok = shape_text.substr(pos, comma - pos);
    if (tok.find_first_of("0123456789") != std::string::npos) {
      a.shape.push_back(std::stoll(tok));
      count *= a.shape.back();
    }
    pos = comma + 1;
  }
  size_t width = descr == "<f8" || descr == "<i8" ? 8 : descr == "<f4" || descr == "<i4" ? 4 : 0;
  if (!width) fail("unsupported dtype " + descr);
  if (bytes.size() < data_at + width * static_cast<size_t>(count)) fail("truncated data");
  a.data.resize(static_cast<size_t>(count));
  const char* p = bytes.data() + data_at;
  for (int64_t i = 0; i < count; ++i, p += width) {
    if (descr == "<f8") {
      std::memcpy(&a.data[static_cast<size_t>(i)], p, 8);
    } else if (descr == "<f4") {
      float f;
      std::memcpy(&f, p, 4);
      a.data[static_cast<size_t>(i)] = f;
    } else if (descr == "<i8") {
      int64_t v;
      std::memcpy(&v, p, 8);
      a.data[static_cast<size_t>(i)] = static_cast<double>(v);
    } else {
      int32_t v;
      std::memcpy(&v, p, 4);
      a.data[static_cast<size_t>(i)] = v;
    }
  }
  return a;
}

}  // namespace ser::test
