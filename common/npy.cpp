#include "common/npy.hpp"

#include <charconv>
#include <cstring>

#include "common/atomic_file.hpp"
#include "common/input_file.hpp"

namespace ser {

namespace {
template <typename T>
T load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <typename T>
void write_typed(const std::string& path, const std::vector<int64_t>& shape, const std::vector<T>& data,
                 const char* descr, bool durable) {
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  if (count != static_cast<int64_t>(data.size()))
    throw NpyError("write_npy '" + path + "': " + std::to_string(data.size()) + " values for the shape given");
  // Format: "(a, b, c)" or "(a,)".
  std::string shape_text = "(";
  for (size_t i = 0; i < shape.size(); ++i) shape_text += (i ? ", " : "") + std::to_string(shape[i]);
  shape_text += shape.size() == 1 ? ",)" : ")";
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape_text + ", }";
  // The whole preamble is padded with spaces to a multiple of 64 bytes and ends in '\n'.
  const size_t preamble = 10;
  header.append((64 - (preamble + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  out.append(reinterpret_cast<const char*>(data.data()), data.size() * sizeof(T));
  write_file_atomically(path, out, durable);
}
}  // namespace

namespace {
// The value of `key` in the header dictionary: the text after its colon, up to
// the next top-level comma (a shape tuple's commas are inside parentheses).
// Errors name the file: "'<path>': what".
NpyError npy_error(const std::string& path, const std::string& what) { return NpyError("'" + path + "': " + what); }

std::string header_field(const std::string& header, const std::string& key, const std::string& path) {
  auto fail = [&](const std::string& what) { return npy_error(path, what); };
  const size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) throw fail("header has no '" + key + "'");
  const size_t colon = header.find(':', k);
  if (colon == std::string::npos) throw fail("header's '" + key + "' has no value");
  size_t end = colon + 1;
  for (int depth = 0; end < header.size(); ++end) {
    const char ch = header[end];
    if (ch == '(') ++depth;
    if (ch == ')') --depth;
    if ((ch == ',' || ch == '}') && depth == 0) break;
  }
  std::string v = header.substr(colon + 1, end - colon - 1);
  const size_t first = v.find_first_not_of(' '), last = v.find_last_not_of(' ');
  return first == std::string::npos ? "" : v.substr(first, last - first + 1);
}

// "(3, 4)", "(5,)" or "()": each dimension a non-negative integer, the product
// capped so that no allocation follows from a crafted header.
std::vector<int64_t> parse_shape(const std::string& text, const std::string& path) {
  auto fail = [&](const std::string& what) { return npy_error(path, what); };
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') throw fail("shape '" + text + "' is not a tuple");
  std::vector<int64_t> shape;
  int64_t count = 1;
  const std::string inner = text.substr(1, text.size() - 2);
  for (size_t pos = 0; pos < inner.size();) {
    const size_t comma = std::min(inner.find(',', pos), inner.size());
    std::string tok = inner.substr(pos, comma - pos);
    tok.erase(0, tok.find_first_not_of(' '));
    tok.erase(tok.find_last_not_of(' ') + 1);
    pos = comma + 1;
    if (tok.empty()) {
      if (comma == inner.size()) break;  // "(5,)": the trailing comma
      throw fail("shape '" + text + "' has an empty dimension");
    }
    int64_t d = -1;
    const auto [end, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), d);
    if (ec != std::errc() || end != tok.data() + tok.size() || d < 0)
      throw fail("shape '" + text + "' has dimension '" + tok + "', not a count >= 0");
    if (shape.size() == 32) throw fail("shape '" + text + "' has more than 32 dimensions");
    if (__builtin_mul_overflow(count, d, &count) || count > kMaxNpyElements)
      throw fail("shape '" + text + "' has more than " + std::to_string(kMaxNpyElements) + " elements");
    shape.push_back(d);
  }
  return shape;
}
}  // namespace

namespace {
// The header's text and the offset of the data after it, for format versions
// 1 (a 2-byte length) and 2-3 (a 4-byte length).
std::pair<std::string, size_t> split_preamble(const std::string& bytes, const std::string& path) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) throw npy_error(path, "not a .npy file");
  const int major = static_cast<unsigned char>(bytes[6]);
  if (major < 1 || major > 3) throw npy_error(path, "format version " + std::to_string(major) + " (1 to 3 are read)");
  size_t header_len = 0, offset = 10;
  if (major == 1) {
    header_len = load<uint16_t>(bytes.data() + 8);  // little-endian, as the format and this machine are
  } else {
    if (bytes.size() < 12) throw npy_error(path, "truncated header");
    header_len = load<uint32_t>(bytes.data() + 8);
    offset = 12;
  }
  if (bytes.size() - offset < header_len) throw npy_error(path, "truncated header");
  return {bytes.substr(offset, header_len), offset + header_len};
}

// out.size() values of type T from `p`, widened to double.
template <typename T>
void widen(const char* p, std::vector<double>& out) {
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<double>(load<T>(p + i * sizeof(T)));
}

// Column-major values (first axis fastest) reordered to C order.
std::vector<double> c_order_of(const std::vector<double>& fortran, const std::vector<int64_t>& shape) {
  std::vector<double> c_order(fortran.size());
  std::vector<int64_t> index(shape.size(), 0);  // the multi-index of element f
  for (size_t f = 0; f < fortran.size(); ++f) {
    size_t c = 0;
    for (size_t d = 0; d < shape.size(); ++d) c = c * static_cast<size_t>(shape[d]) + static_cast<size_t>(index[d]);
    c_order[c] = fortran[f];
    for (size_t d = 0; d < shape.size() && ++index[d] == shape[d]; ++d) index[d] = 0;
  }
  return c_order;
}
}  // namespace

NpyArray read_npy(const std::string& path) {
  auto fail = [&](const std::string& what) { return npy_error(path, what); };
  std::string bytes;
  try {
    bytes = read_input_file(path, ".npy file", kMaxNpyElements * 8 + kMiB);
  } catch (const InputFileError& e) {
    throw NpyError(e.what());
  }
  const auto [header, at] = split_preamble(bytes, path);
  const std::string descr_field = header_field(header, "descr", path);
  if (descr_field.size() < 2 || (descr_field.front() != '\'' && descr_field.front() != '"'))
    throw fail("dtype " + descr_field + " is not a quoted type string");
  const std::string descr = descr_field.substr(1, descr_field.size() - 2);
  const std::string order = header_field(header, "fortran_order", path);
  if (order != "True" && order != "False") throw fail("fortran_order is '" + order + "', not True or False");
  NpyArray a;
  a.shape = parse_shape(header_field(header, "shape", path), path);
  int64_t count = 1;
  for (int64_t d : a.shape) count *= d;
  const size_t width = (descr == "<f8" || descr == "<i8") ? 8 : (descr == "<f4" || descr == "<i4") ? 4 : 0;
  if (!width) throw fail("unsupported dtype '" + descr + "' (float64, float32, int64, int32 are read)");
  if ((bytes.size() - at) / width < static_cast<size_t>(count)) throw fail("truncated data");
  a.data.resize(static_cast<size_t>(count));
  const char* p = bytes.data() + at;
  if (descr == "<f8") widen<double>(p, a.data);
  if (descr == "<f4") widen<float>(p, a.data);
  if (descr == "<i8") widen<int64_t>(p, a.data);
  if (descr == "<i4") widen<int32_t>(p, a.data);
  if (order == "True" && a.shape.size() > 1) a.data = c_order_of(a.data, a.shape);
  return a;
}

void write_npy(const std::string& path, const std::vector<int64_t>& shape, const std::vector<float>& data,
               bool durable) {
  write_typed(path, shape, data, "<f4", durable);
}
void write_npy(const std::string& path, const std::vector<int64_t>& shape, const std::vector<double>& data,
               bool durable) {
  write_typed(path, shape, data, "<f8", durable);
}

}  // namespace ser
