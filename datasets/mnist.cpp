#include "datasets/mnist.hpp"

#include <zlib.h>

#include <memory>
#include <stdexcept>

#include "common/input_file.hpp"

namespace ser::datasets {

namespace {
// MNIST's training images are 47 MB unpacked; a bomb must not fill the memory.
constexpr size_t kMaxUnpacked = size_t{512} << 20;

// gzread also reads uncompressed files transparently.
std::vector<uint8_t> read_maybe_gzip(const std::string& path) {
  InputFile file(path, "MNIST file");  // a regular file, or a clear refusal
  std::unique_ptr<gzFile_s, int (*)(gzFile)> f(gzdopen(file.fd(), "rb"), gzclose);
  if (!f) throw std::runtime_error("cannot open '" + path + "'");
  file.release();  // gzclose closes it now
  std::vector<uint8_t> out;
  uint8_t buf[1 << 16];
  int n;
  while ((n = gzread(f.get(), buf, sizeof(buf))) > 0) {
    out.insert(out.end(), buf, buf + n);
    if (out.size() > kMaxUnpacked)
      throw std::runtime_error("'" + path + "' unpacks to more than " + std::to_string(kMaxUnpacked) +
                               " bytes; it is not an MNIST file");
  }
  if (n < 0) {
    int err;
    const char* msg = gzerror(f.get(), &err);
    throw std::runtime_error("cannot decompress '" + path + "': " + (msg ? msg : "unknown error"));
  }
  return out;
}

uint32_t be32(const std::vector<uint8_t>& b, size_t at) {
  return (uint32_t{b[at]} << 24) | (uint32_t{b[at + 1]} << 16) | (uint32_t{b[at + 2]} << 8) | b[at + 3];
}
}  // namespace

MnistSet load_mnist(const std::string& images_path, const std::string& labels_path) {
  const auto img = read_maybe_gzip(images_path);
  const auto lab = read_maybe_gzip(labels_path);
  if (img.size() < 16 || be32(img, 0) != 0x00000803)
    throw std::runtime_error("'" + images_path + "' is not an idx3 image file (magic 0x00000803 expected)");
  if (lab.size() < 8 || be32(lab, 0) != 0x00000801)
    throw std::runtime_error("'" + labels_path + "' is not an idx1 label file (magic 0x00000801 expected)");
  MnistSet s;
  s.count = be32(img, 4);
  s.rows = be32(img, 8);
  s.cols = be32(img, 12);
  if (s.rows != 28 || s.cols != 28)
    throw std::runtime_error("'" + images_path + "' holds " + std::to_string(s.rows) + "x" + std::to_string(s.cols) +
                             " images; MNIST's are 28x28");
  if (s.count > static_cast<int64_t>(kMaxUnpacked / (28 * 28)))
    throw std::runtime_error("'" + images_path + "' announces " + std::to_string(s.count) + " images, more than it can hold");
  const size_t need = 16 + static_cast<size_t>(s.count * s.rows * s.cols);
  if (img.size() < need)
    throw std::runtime_error("'" + images_path + "' is truncated: " + std::to_string(img.size()) + " bytes, " +
                             std::to_string(need) + " expected");
  if (be32(lab, 4) != s.count)
    throw std::runtime_error("'" + labels_path + "' holds " + std::to_string(be32(lab, 4)) + " labels for " +
                             std::to_string(s.count) + " images");
  if (lab.size() < 8 + static_cast<size_t>(s.count)) throw std::runtime_error("'" + labels_path + "' is truncated");
  s.pixels.assign(img.begin() + 16, img.begin() + static_cast<std::ptrdiff_t>(need));
  s.labels.assign(lab.begin() + 8, lab.begin() + 8 + s.count);
  for (uint8_t l : s.labels)
    if (l > 9) throw std::runtime_error("'" + labels_path + "' has label " + std::to_string(l) + " outside 0..9");
  return s;
}

MnistSet load_mnist_test_set(const std::string& dir) {
  return load_mnist(dir + "/t10k-images-idx3-ubyte.gz", dir + "/t10k-labels-idx1-ubyte.gz");
}

}  // namespace ser::datasets

namespace ser::datasets {
Corpus mnist_corpus(const std::string& dir) {
  const MnistSet set = load_mnist_test_set(dir);
  Corpus c;
  c.name = "mnist";
  for (int d = 0; d < 10; ++d) c.labels.push_back(std::to_string(d));
  for (int64_t i = 0; i < set.count; ++i) {
    Sample s;
    s.path = dir + "/t10k-images-idx3-ubyte.gz#" + std::to_string(i);
    s.corpus = "mnist";
    s.label = std::to_string(set.labels[static_cast<size_t>(i)]);
    c.samples.push_back(std::move(s));
  }
  return c;
}
}  // namespace ser::datasets
