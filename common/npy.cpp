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

NpyArray read_npy(const std::string& path) {
  auto fail = [&](const std::string& what) { return npy_error(path, what); };
  std::string bytes;
  try {
    bytes = read_input_file(path, ".npy file", kMaxNpyElements * 8 + kMiB);
  } catch (const InputFileError& e) {
    throw NpyError(e.what());
  }
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) throw fail("not a .npy file");
  const int major = static_cast<unsigned char>(bytes[6]);
  if (major < 1 || major > 3) throw fail("format version " + std::to_string(major) + " (1 to 3 are read)");
  size_t header_len, offset;
  if (major == 1) {
    header_len =
        static_cast<unsigned char>(bytes[8]) | (static_cast<size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    offset = 10;
  } else {
    if (bytes.size() < 12) throw fail("truncated header");
    header_len = load<uint32_t>(bytes.data() + 8);
    offset = 12;
  }
  if (bytes.size() - offset < header_len) throw fail("truncated header");
  const std::string header = bytes.substr(offset, header_len);
  const std::string descr_field = header_field(header, "descr", path);
  if (descr_field.size() < 2 || (descr_field.front() != '\'' && descr_field.front() != '"'))
    throw fail("dtype " + descr_field + " is not a quoted type string");
  const std::string descr = descr_field.substr(1, descr_field.size() - 2);
  const std::string order = header_field(header, "fortran_order", path);
  if (order != "True" && order != "False") throw fail("fortran_order is '" + order + "', not True or False");
  const bool fortran = order == "True";
  NpyArray a;
  a.shape = parse_shape(header_field(header, "shape", path), path);
  int64_t count = 1;
  for (int64_t d : a.shape) count *= d;
  const size_t width = (descr == "<f8" || descr == "<i8") ? 8 : (descr == "<f4" || descr == "<i4") ? 4 : 0;
  if (!width) throw fail("unsupported dtype '" + descr + "' (float64, float32, int64, int32 are read)");
  const size_t at = offset + header_len;
  if ((bytes.size() - at) / width < static_cast<size_t>(count)) throw fail("truncated data");
  a.data.resize(static_cast<size_t>(count));
  const char* p = bytes.data() + at;
  for (size_t i = 0; i < a.data.size(); ++i, p += width) {
    if (descr == "<f8")
      a.data[i] = load<double>(p);
    else if (descr == "<f4")
      a.data[i] = load<float>(p);
    else if (descr == "<i8")
      a.data[i] = static_cast<double>(load<int64_t>(p));
    else
      a.data[i] = load<int32_t>(p);
  }
  if (fortran && a.shape.size() > 1 && count > 0) {  // column-major on disk: reorder to C order
    std::vector<double> c_order(a.data.size());
    const size_t rank = a.shape.size();
    std::vector<int64_t> index(rank, 0);
    for (size_t f = 0; f < a.data.size(); ++f) {
      // `index` is the multi-index of element f in Fortran order (first axis fastest).
      size_t c = 0;
      for (size_t d = 0; d < rank; ++d) c = c * static_cast<size_t>(a.shape[d]) + static_cast<size_t>(index[d]);
      c_order[c] = a.data[f];
      for (size_t d = 0; d < rank && ++index[d] == a.shape[d]; ++d) index[d] = 0;
    }
    a.data = std::move(c_order);
  }
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
