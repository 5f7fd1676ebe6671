#pragma once
// Files ser reads back (models, checkpoints, configs, caches, run records,
// data) are untrusted input: a user can point any option at a FIFO, a
// device, a folder or a file that grows without end. Every reader opens its
// file through here, so each one refuses what is not a regular file and
// reads no more than a size cap, with a message that names the file.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ser {

// A file that cannot be read as what the caller meant; the message names it.
class InputFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Size caps, named so that every reader says which one it applies.
inline constexpr uint64_t kMiB = uint64_t{1} << 20;
inline constexpr uint64_t kGiB = uint64_t{1} << 30;

// An open regular file (symbolic links followed), closed on destruction.
// Opening never blocks: a FIFO without a writer is refused, not waited on.
// `what` names the kind of file in messages ("model file", "config").
class InputFile {
 public:
  InputFile(const std::string& path, std::string_view what);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  int fd() const { return fd_; }
  uint64_t size() const { return size_; }
  // Gives up ownership of the descriptor (for a library that closes it itself).
  int release();

 private:
  int fd_ = -1;
  uint64_t size_ = 0;
};

// The whole file, refused when it is not a regular file or is larger than
// `max_bytes` (the message gives both sizes and the cap's reason).
std::string read_input_file(const std::string& path, std::string_view what, uint64_t max_bytes);

// Throws InputFileError unless `path` names a regular file (after links).
void require_regular_file(const std::string& path, std::string_view what);

}  // namespace ser
