#pragma once
// NumPy .npy files (format 1.0, little-endian, C order): what `ser features`
// writes so that a Python user can np.load it, and what the tests read the
// PyTorch and librosa reference values from.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace ser {

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<double> data;  // whatever the file's dtype, as double
  int64_t numel() const { return static_cast<int64_t>(data.size()); }
  std::vector<float> as_float() const { return {data.begin(), data.end()}; }
};

class NpyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// At most 2^28 elements (2 GiB of float64) are read from one file.
inline constexpr int64_t kMaxNpyElements = int64_t{1} << 28;

// Reads float64, float32, int64 and int32 arrays, C or Fortran order (returned
// in C order). The header is untrusted: the shape must be a tuple of counts
// whose product fits the cap and the bytes present, fortran_order True or
// False. Throws NpyError naming the file.
NpyArray read_npy(const std::string& path);

// Writes atomically (durable: see write_file_atomically); `data` holds
// prod(shape) values in C order.
void write_npy(const std::string& path, const std::vector<int64_t>& shape, const std::vector<float>& data,
               bool durable = true);
void write_npy(const std::string& path, const std::vector<int64_t>& shape, const std::vector<double>& data,
               bool durable = true);

}  // namespace ser
