#include "common/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ser {

namespace {
std::string kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

std::string quoted(std::string_view what, const std::string& path) {
  return std::string(what) + " '" + path + "'";
}
}  // namespace

InputFile::InputFile(const std::string& path, std::string_view what) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd_ < 0) {
    const int err = errno;
    if (err == ENOENT) throw InputFileError(quoted(what, path) + ": no such file");
    throw InputFileError("cannot open " + quoted(what, path) + ": " + std::strerror(err));
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    const std::string kind = kind_of(st.st_mode);
    ::close(fd_);
    fd_ = -1;
    throw InputFileError(quoted(what, path) + " is " + kind + ", not a regular file; give a file");
  }
  // Regular files never block; reads should wait for the disk as usual.
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
  size_ = static_cast<uint64_t>(st.st_size);
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

int InputFile::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

std::string read_input_file(const std::string& path, std::string_view what, uint64_t max_bytes) {
  InputFile file(path, what);
  if (file.size() > max_bytes)
    throw InputFileError(quoted(what, path) + " is " + std::to_string(file.size()) + " bytes, more than the " +
                         std::to_string(max_bytes) + " a " + std::string(what) +
                         " can hold; is it the file you meant?");
  // Read to the end, but never past the cap: the file may grow while we read.
  std::string bytes(static_cast<size_t>(file.size()), '\0');
  size_t done = 0;
  for (;;) {
    if (done == bytes.size()) {
      if (bytes.size() >= max_bytes) {
        char probe;
        const ssize_t more = ::read(file.fd(), &probe, 1);
        if (more > 0)
          throw InputFileError(quoted(what, path) + " grew past " + std::to_string(max_bytes) +
                               " bytes while it was read");
        break;
      }
      bytes.resize(std::min<uint64_t>(max_bytes, bytes.size() + 64 * 1024));
    }
    const ssize_t n = ::read(file.fd(), bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      throw InputFileError("cannot read " + quoted(what, path) + ": " + std::strerror(err));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

void require_regular_file(const std::string& path, std::string_view what) { InputFile check(path, what); }

}  // namespace ser
