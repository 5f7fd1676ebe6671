#pragma once
// What the fuzz targets share: the fuzzer's bytes as a file (the readers
// under test take paths, as users give them), and the small model whose
// checkpoints the checkpoint target and its seeds use.
//
// Each target defines LLVMFuzzerTestOneInput. Built with clang and
// -fsanitize=fuzzer (SER_FUZZ=ON) it is a libFuzzer program; in the normal
// build the same function is linked with replay_main.cpp and run by CTest
// on tests/fuzz/regressions/<target>/, the inputs that once crashed.

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "nn/layers/layer_spec.hpp"
#include "nn/shape.hpp"

namespace ser::fuzz {

// The bytes in an anonymous in-memory file, named by a path any reader can
// open (/proc/self/fd/N): a regular file, as the readers require.
class MemFile {
 public:
  MemFile(const uint8_t* data, size_t size) : fd_(::memfd_create("ser-fuzz", MFD_CLOEXEC)) {
    if (fd_ < 0) throw std::runtime_error("memfd_create failed");
    for (size_t done = 0; done < size;) {
      const ssize_t n = ::write(fd_, data + done, size - done);
      if (n <= 0) throw std::runtime_error("write to memfd failed");
      done += static_cast<size_t>(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  int fd_;
  std::string path_;
};

// The model of the checkpoint target: small enough to build for every input.
inline std::vector<nn::LayerSpec> tiny_specs() {
  return {{"conv1d", {{"filters", "2"}, {"kernel", "3"}, {"activation", "relu"}}},
          {"flatten"},
          {"dense", {{"units", "3"}}}};
}
inline nn::Shape tiny_input() { return nn::Shape{1, 8}; }
inline constexpr uint64_t kTinyConfig = 0x5eed, kTinyData = 0xda7a;
inline constexpr int kTinyEpochs = 5;
inline constexpr size_t kTinyTrainRows = 10;

}  // namespace ser::fuzz
