#pragma once
// Little-endian binary records: what model files and checkpoints are made
// of. The reader checks every length against the bytes that are really
// there before it copies or allocates anything, so a damaged or crafted file
// fails with a message (naming the file, the byte and the field) instead of
// reading past the end or asking for gigabytes.

#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace ser {

// Bytes that do not hold what their format says; the message names the source.
class FormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ByteWriter {
 public:
  template <typename T>
  void pod(T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out_.append(b, sizeof(T));
  }
  // u32 length + bytes.
  void str(std::string_view s) {
    pod<uint32_t>(static_cast<uint32_t>(s.size()));
    out_ += s;
  }
  // u64 length + bytes: for blobs that may exceed 4 GB.
  void blob(std::string_view s) {
    pod<uint64_t>(s.size());
    out_ += s;
  }
  // u64 count + values.
  template <typename T>
  void array(std::span<const T> v) {
    static_assert(std::is_trivially_copyable_v<T>);
    pod<uint64_t>(v.size());
    out_.append(reinterpret_cast<const char*>(v.data()), v.size_bytes());
  }
  void raw(std::span<const float> v) { out_.append(reinterpret_cast<const char*>(v.data()), v.size_bytes()); }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

class ByteReader {
 public:
  // `offset` is where `bytes` starts in its file, so messages give file positions.
  ByteReader(std::string_view bytes, std::string source, size_t offset = 0)
      : b_(bytes), source_(std::move(source)), offset_(offset) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(source_ + ": malformed data at byte " + std::to_string(pos_ + offset_) + ": " + what);
  }
  size_t remaining() const { return b_.size() - pos_; }
  bool done() const { return pos_ == b_.size(); }

  template <typename T>
  T pod(const char* what) {
    static_assert(std::is_trivially_copyable_v<T>);
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, b_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string str(const char* what) { return take(pod<uint32_t>(what), what); }
  std::string blob(const char* what) { return take(pod<uint64_t>(what), what); }
  // A u64 count of T values, all of which must be present.
  template <typename T>
  std::vector<T> array(const char* what) {
    const uint64_t n = pod<uint64_t>(what);
    if (n > remaining() / sizeof(T)) fail(std::string("not enough bytes left for ") + what);
    std::vector<T> v(static_cast<size_t>(n));
    std::memcpy(v.data(), b_.data() + pos_, static_cast<size_t>(n) * sizeof(T));
    pos_ += static_cast<size_t>(n) * sizeof(T);
    return v;
  }
  // A u32 count that must not exceed `limit`.
  size_t count(const char* what, size_t limit) {
    const uint32_t n = pod<uint32_t>(what);
    if (n > limit) fail("implausible count " + std::to_string(n) + " of " + what);
    return n;
  }
  void raw(std::span<float> out, const char* what) {
    need(out.size_bytes(), what);
    std::memcpy(out.data(), b_.data() + pos_, out.size_bytes());
    pos_ += out.size_bytes();
  }

 private:
  void need(uint64_t n, const char* what) const {
    if (n > remaining()) fail(std::string("not enough bytes left for ") + what);
  }
  std::string take(uint64_t n, const char* what) {
    need(n, what);
    std::string s(b_.substr(pos_, static_cast<size_t>(n)));
    pos_ += static_cast<size_t>(n);
    return s;
  }
  std::string_view b_;
  std::string source_;
  size_t offset_;
  size_t pos_ = 0;
};

}  // namespace ser
