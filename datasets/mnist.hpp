#pragma once
// MNIST in its official idx format (gzip-compressed or not): big-endian
// header, then unsigned bytes. Images come back as [count, 28, 28] pixels.

#include <cstdint>
#include <string>
#include <vector>

namespace ser::datasets {

struct MnistSet {
  int64_t count = 0, rows = 0, cols = 0;
  std::vector<uint8_t> pixels;  // count * rows * cols, row-major
  std::vector<uint8_t> labels;  // count, 0..9
};

// Reads `images_path` (idx3) and `labels_path` (idx1). Throws
// std::runtime_error naming the file and what is wrong (bad magic, truncated,
// counts that disagree).
MnistSet load_mnist(const std::string& images_path, const std::string& labels_path);

// The test set as distributed: <dir>/t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz.
MnistSet load_mnist_test_set(const std::string& dir);

}  // namespace ser::datasets

#include "datasets/corpus.hpp"

namespace ser::datasets {
// The MNIST test set as a Corpus (labels "0".."9"; a sample's path is
// "<images file>#<index>"), for reports and splits.
Corpus mnist_corpus(const std::string& dir);
}  // namespace ser::datasets
