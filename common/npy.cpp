#include "common/npy.hpp"

#include <cstring>
#include <fstream>
#include <iterator>

#include "common/atomic_file.hpp"

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

NpyArray read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw NpyError("cannot open '" + path + "'");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto fail = [&](const std::string& what) -> NpyError { return NpyError("'" + path + "': " + what); };
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) throw fail("not a .npy file");
  const int major = static_cast<unsigned char>(bytes[6]);
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
  if (bytes.size() < offset + header_len) throw fail("truncated header");
  const std::string header = bytes.substr(offset, header_len);
  auto field = [&](const std::string& key) {
    const size_t k = header.find("'" + key + "'");
    if (k == std::string::npos) throw fail("header has no '" + key + "'");
    return header.substr(header.find(':', k) + 1);
  };
  const std::string descr_field = field("descr");
  const size_t q = descr_field.find('\'');
  const std::string descr = descr_field.substr(q + 1, descr_field.find('\'', q + 1) - q - 1);
  const std::string order = field("fortran_order");
  const bool fortran = order.find("True") < order.find(',');
  NpyArray a;
  const std::string st = field("shape");
  const std::string dims = st.substr(st.find('(') + 1, st.find(')') - st.find('(') - 1);
  int64_t count = 1;
  for (size_t pos = 0; pos < dims.size();) {
    const size_t comma = std::min(dims.find(',', pos), dims.size());
    const std::string tok = dims.substr(pos, comma - pos);
    if (tok.find_first_of("0123456789") != std::string::npos) {
      a.shape.push_back(std::stoll(tok));
      count *= a.shape.back();
    }
    pos = comma + 1;
  }
  const size_t width = (descr == "<f8" || descr == "<i8") ? 8 : (descr == "<f4" || descr == "<i4") ? 4 : 0;
  if (!width) throw fail("unsupported dtype '" + descr + "' (float64, float32, int64, int32 are read)");
  const size_t at = offset + header_len;
  if (bytes.size() < at + width * static_cast<size_t>(count)) throw fail("truncated data");
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
  if (fortran && a.shape.size() > 1) {  // column-major on disk: reorder to C order
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
