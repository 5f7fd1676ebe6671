#include "nn/model_file.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>

#include "common/atomic_file.hpp"

namespace ser::nn {

namespace {
constexpr char kMagic[8] = {'S', 'E', 'R', 'M', 'O', 'D', 'E', 'L'};
constexpr size_t kHeader = 8 + 4 + 8, kTrailer = 4;

class Writer {
 public:
  template <typename T>
  void pod(T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out_.append(b, sizeof(T));
  }
  void str(const std::string& s) {
    pod<uint32_t>(static_cast<uint32_t>(s.size()));
    out_ += s;
  }
  void shape(const Shape& s) {
    pod<uint32_t>(static_cast<uint32_t>(s.rank()));
    for (int64_t d : s.dims()) pod<int64_t>(d);
  }
  void floats(std::span<const float> v) { out_.append(reinterpret_cast<const char*>(v.data()), v.size_bytes()); }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

// Reads the body with bounds checks: a crafted file that passes the checksum
// still cannot make us read past the end or allocate absurd sizes.
class Reader {
 public:
  Reader(const std::string& bytes, size_t begin, size_t end, const std::string& source)
      : b_(bytes), pos_(begin), begin_(begin), end_(end), source_(source) {}
  [[noreturn]] void fail(const std::string& what) const {
    throw ModelFileError("model file '" + source_ + "': malformed model data at byte " +
                         std::to_string(pos_ - begin_ + kHeader) + ": " + what);
  }
  void need(size_t n, const char* what) {
    if (n > end_ - pos_) fail(std::string("not enough bytes left for ") + what);
  }
  template <typename T>
  T pod(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, b_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string str(const char* what) {
    const uint32_t n = pod<uint32_t>(what);
    need(n, what);
    std::string s = b_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  Shape shape(const char* what) {
    const uint32_t rank = pod<uint32_t>(what);
    if (rank > static_cast<uint32_t>(kMaxRank)) fail(std::string("rank ") + std::to_string(rank) + " of " + what);
    std::vector<int64_t> dims(rank);
    for (auto& d : dims) {
      d = pod<int64_t>(what);
      if (d < 0 || d > (int64_t{1} << 32)) fail(std::string("impossible dimension in ") + what);
    }
    return Shape(std::span<const int64_t>(dims));
  }
  void floats(float* out, int64_t n, const char* what) {
    need(static_cast<size_t>(n) * sizeof(float), what);
    std::memcpy(out, b_.data() + pos_, static_cast<size_t>(n) * sizeof(float));
    pos_ += static_cast<size_t>(n) * sizeof(float);
  }
  size_t count(const char* what, size_t limit) {
    const uint32_t n = pod<uint32_t>(what);
    if (n > limit) fail(std::string("implausible count ") + std::to_string(n) + " of " + what);
    return n;
  }
  bool done() const { return pos_ == end_; }

 private:
  const std::string& b_;
  size_t pos_, begin_, end_;
  const std::string& source_;
};

uint32_t crc_of(const char* p, size_t n) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (n > 0) {  // zlib takes uInt lengths
    const uInt chunk = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(p), chunk);
    p += chunk;
    n -= chunk;
  }
  return static_cast<uint32_t>(crc);
}
}  // namespace

std::string serialize_model(Sequential& model) {
  Writer body;
  body.str(model.name());
  body.shape(model.input_shape());
  const auto specs = model.specs();
  body.pod<uint32_t>(static_cast<uint32_t>(specs.size()));
  for (const auto& spec : specs) {
    body.str(spec.type());
    body.pod<uint32_t>(static_cast<uint32_t>(spec.args().size()));
    for (const auto& [k, v] : spec.args()) {
      body.str(k);
      body.str(v);
    }
  }
  body.pod<uint32_t>(static_cast<uint32_t>(model.labels.size()));
  for (const auto& l : model.labels) body.str(l);
  body.str(model.feature_settings);
  const auto state = model.state();
  body.pod<uint32_t>(static_cast<uint32_t>(state.size()));
  for (const auto& t : state) {
    body.str(t.name);
    body.shape(t.tensor.shape());
    body.floats(t.tensor.values());
  }

  Writer file;
  file.bytes().append(kMagic, sizeof(kMagic));
  file.pod<uint32_t>(kModelFormatVersion);
  file.pod<uint64_t>(body.bytes().size());
  file.bytes() += body.bytes();
  file.pod<uint32_t>(crc_of(body.bytes().data(), body.bytes().size()));
  return std::move(file.bytes());
}

void save_model(Sequential& model, const std::string& path) { write_file_atomically(path, serialize_model(model)); }

Sequential deserialize_model(const std::string& bytes, const std::string& source) {
  const std::string where = "model file '" + source + "'";
  if (bytes.size() < sizeof(kMagic) || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0)
    throw ModelFileError(where + " is not a ser model file (it does not start with \"SERMODEL\")");
  if (bytes.size() < kHeader + kTrailer)
    throw ModelFileError(where + " is truncated: " + std::to_string(bytes.size()) + " bytes, shorter than a header");
  uint32_t version;
  uint64_t length;
  std::memcpy(&version, bytes.data() + 8, 4);
  std::memcpy(&length, bytes.data() + 12, 8);
  if (version != kModelFormatVersion)
    throw ModelFileError(where + " has format version " + std::to_string(version) + "; this build reads version " +
                         std::to_string(kModelFormatVersion) + " (was it written by another ser version?)");
  const uint64_t available = bytes.size() - kHeader - kTrailer;
  if (length > available)
    throw ModelFileError(where + " is truncated: the header announces " + std::to_string(length) +
                         " bytes of model data, the file holds " + std::to_string(available) +
                         " (an interrupted copy or download?)");
  if (length < available)
    throw ModelFileError(where + " has " + std::to_string(available - length) +
                         " unexpected bytes after the model data (or its length field is damaged)");
  uint32_t stored;
  std::memcpy(&stored, bytes.data() + kHeader + length, 4);
  const uint32_t computed = crc_of(bytes.data() + kHeader, length);
  if (stored != computed) {
    std::ostringstream m;
    m << where << " is corrupted: CRC-32 checksum mismatch (stored 0x" << std::hex << stored << ", computed 0x"
      << computed << "); the file was altered or damaged after it was written";
    throw ModelFileError(m.str());
  }

  Reader r(bytes, kHeader, kHeader + length, source);
  const std::string name = r.str("model name");
  const Shape input = r.shape("input shape");
  std::vector<LayerSpec> specs(r.count("layers", 10000));
  for (auto& spec : specs) {
    spec = LayerSpec(r.str("layer type"));
    const size_t nargs = r.count("layer arguments", 1000);
    for (size_t a = 0; a < nargs; ++a) {
      std::string k = r.str("argument name");
      spec.set(k, r.str("argument value"));
    }
  }
  std::vector<std::string> labels(r.count("labels", 1u << 20));
  for (auto& l : labels) l = r.str("label");
  std::string features = r.str("feature settings");

  Rng unused(0);  // every parameter is overwritten below
  std::optional<Sequential> model;
  try {
    model.emplace(specs, input, unused, name);
  } catch (const std::invalid_argument& e) {
    throw ModelFileError(where + ": " + e.what());
  }
  model->labels = std::move(labels);
  model->feature_settings = std::move(features);

  auto state = model->state();
  const size_t n = r.count("tensors", 1u << 20);
  if (n != state.size())
    throw ModelFileError(where + " holds " + std::to_string(n) + " tensors; its architecture needs " +
                         std::to_string(state.size()));
  for (auto& t : state) {
    const std::string tname = r.str("tensor name");
    const Shape shape = r.shape("tensor shape");
    if (tname != t.name) throw ModelFileError(where + ": expected tensor '" + t.name + "', found '" + tname + "'");
    if (!(shape == t.tensor.shape()))
      throw ModelFileError(where + ": tensor '" + tname + "' has shape " + shape.str() + " but the layer needs " +
                           t.tensor.shape().str());
    r.floats(t.tensor.data(), t.tensor.numel(), "tensor values");
  }
  if (!r.done()) r.fail("extra bytes after the last tensor");
  return std::move(*model);
}

Sequential load_model(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ModelFileError("cannot open model file '" + path + "': " + std::strerror(errno));
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw ModelFileError("cannot read model file '" + path + "'");
  return deserialize_model(bytes, path);
}

}  // namespace ser::nn
