// common/: .npy files (written for NumPy users, read for the reference values).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/npy.hpp"

namespace fs = std::filesystem;

TEST_CASE(".npy: write then read, float32 and float64, any rank") {
  const fs::path dir = fs::temp_directory_path() / ("ser_test_npy_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::vector<double> v = {1.5, -2.25, 3e-8, 4e8, 0.0, -0.0};
  ser::write_npy((dir / "a.npy").string(), {2, 3}, v);
  ser::NpyArray a = ser::read_npy((dir / "a.npy").string());
  CHECK(a.shape == std::vector<int64_t>{2, 3});
  CHECK(a.data == v);
  ser::write_npy((dir / "b.npy").string(), {6}, std::vector<float>(v.begin(), v.end()));
  a = ser::read_npy((dir / "b.npy").string());
  CHECK(a.shape == std::vector<int64_t>{6});
  CHECK(a.data[2] == doctest::Approx(3e-8));
  // The header is padded so that the data starts on a 64-byte boundary, as NumPy writes it.
  std::ifstream in(dir / "b.npy", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK((bytes.size() - 6 * 4) % 64 == 0);
  CHECK(bytes.find("'shape': (6,)") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE(".npy: Fortran-order arrays come back in C order") {
  const fs::path p = fs::temp_directory_path() / ("ser_test_npy_f_" + std::to_string(::getpid()) + ".npy");
  std::string header = "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }";
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(header.size()) + '\0' + header;
  const double column_major[6] = {1, 4, 2, 5, 3, 6};  // [[1, 2, 3], [4, 5, 6]]
  bytes.append(reinterpret_cast<const char*>(column_major), sizeof(column_major));
  std::ofstream(p, std::ios::binary) << bytes;
  const ser::NpyArray a = ser::read_npy(p.string());
  CHECK(a.data == std::vector<double>{1, 2, 3, 4, 5, 6});
  fs::remove(p);
}

TEST_CASE(".npy: garbage and missing files are refused naming the file") {
  CHECK_THROWS_WITH_AS(ser::read_npy("/nonexistent/x.npy"), doctest::Contains(".npy file '/nonexistent/x.npy': no such file"),
                       ser::NpyError);
  const fs::path p = fs::temp_directory_path() / ("ser_test_npy_bad_" + std::to_string(::getpid()) + ".npy");
  std::ofstream(p) << "not numpy";
  CHECK_THROWS_WITH_AS(ser::read_npy(p.string()), doctest::Contains("not a .npy file"), ser::NpyError);
  fs::remove(p);
}
