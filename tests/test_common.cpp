// common/: .npy files (written for NumPy users, read for the reference values).
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/npy.hpp"
#include "common/settings.hpp"
#include "support/npy_bytes.hpp"

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

namespace {
ser::NpyArray read_bytes(const std::string& bytes) {
  const fs::path p = fs::temp_directory_path() / ("ser_test_npy_" + std::to_string(::getpid()) + ".npy");
  std::ofstream(p, std::ios::binary) << bytes;
  ser::NpyArray a = ser::read_npy(p.string());
  fs::remove(p);
  return a;
}
}  // namespace

TEST_CASE(".npy: Fortran-order arrays come back in C order") {
  const double column_major[6] = {1, 4, 2, 5, 3, 6};  // [[1, 2, 3], [4, 5, 6]]
  const ser::NpyArray a = read_bytes(ser::test::npy_bytes(
      1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", column_major, sizeof column_major));
  CHECK(a.shape == std::vector<int64_t>{2, 3});
  CHECK(a.data == std::vector<double>{1, 2, 3, 4, 5, 6});
}

// NumPy writes version 2.0 when a header passes 65,535 bytes; label and index
// arrays come as int64 or int32.
TEST_CASE(".npy: int64 and int32 values, in format versions 1 and 2") {
  const int64_t wide[3] = {-5, 0, int64_t{1} << 40};
  const int32_t narrow[4] = {-2147483647 - 1, -1, 7, 2147483647};
  for (int major : {1, 2}) {
    CAPTURE(major);
    const ser::NpyArray a = read_bytes(
        ser::test::npy_bytes(major, "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", wide, sizeof wide));
    CHECK(a.shape == std::vector<int64_t>{3});
    CHECK(a.data == std::vector<double>{-5, 0, 1099511627776.0});
    const ser::NpyArray b = read_bytes(ser::test::npy_bytes(
        major, "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", narrow, sizeof narrow));
    CHECK(b.shape == std::vector<int64_t>{2, 2});
    CHECK(b.data == std::vector<double>{-2147483648.0, -1, 7, 2147483647});
  }
}

TEST_CASE(".npy: garbage and missing files are refused naming the file") {
  CHECK_THROWS_WITH_AS(ser::read_npy("/nonexistent/x.npy"),
                       doctest::Contains(".npy file '/nonexistent/x.npy': no such file"), ser::NpyError);
  const fs::path p = fs::temp_directory_path() / ("ser_test_npy_bad_" + std::to_string(::getpid()) + ".npy");
  std::ofstream(p) << "not numpy";
  CHECK_THROWS_WITH_AS(ser::read_npy(p.string()), doctest::Contains("not a .npy file"), ser::NpyError);
  fs::remove(p);
}

TEST_CASE("settings: each kind parses, checks its range and special value, and writes back what it read") {
  int n = 2048, hop = 0;
  double top_db = 80;
  bool htk = false;
  enum class Pad { constant, reflect, edge } pad = Pad::constant;
  ser::Settings s;
  s.integer("n_fft", n, 2, 65536, "FFT size");
  s.integer("hop", hop, 1, 65536, "hop").special(0, "n_fft/4");
  s.number("top_db", top_db, 0, 1000, "floor").unit("dB").special(-1, "no floor", "none");
  s.flag("htk", htk, "HTK scale");
  s.choice("pad_mode", pad, {"constant", "reflect", "edge"}, "padding");
  CHECK(s.names() == std::vector<std::string>{"n_fft", "hop", "top_db", "htk", "pad_mode"});
  auto error = [&](const std::string& name, const std::string& text) {
    try {
      s.find(name)->set(text);
    } catch (const ser::SettingError& e) {
      CHECK(e.key() == name);
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(error("n_fft", "1024") == "accepted");
  CHECK(n == 1024);
  CHECK(error("n_fft", "1") == "n_fft must be between 2 and 65536, got 1");
  CHECK(error("n_fft", "2048.5") == "n_fft must be an integer, got '2048.5'");
  CHECK(n == 1024);  // a refused value leaves the field as it was
  CHECK(error("hop", "0") == "accepted");
  CHECK(error("hop", "-1") == "hop must be between 1 and 65536 (0: n_fft/4), got -1");
  CHECK(error("top_db", "none") == "accepted");
  CHECK(top_db == -1);
  CHECK(s.find("top_db")->get() == "none");
  CHECK(error("top_db", "nan") == "top_db must be between 0 and 1000 dB (none: no floor), got nan");
  CHECK(error("top_db", "1e-3") == "accepted");
  CHECK(s.find("top_db")->get() == "0.001");
  CHECK(error("htk", "yes") == "accepted");
  CHECK(htk);
  CHECK(error("htk", "maybe") == "htk must be true or false, got 'maybe'");
  CHECK(error("pad_mode", "reflect") == "accepted");
  CHECK(pad == Pad::reflect);
  CHECK(error("pad_mode", "edg") ==
        "pad_mode must be one of constant, reflect or edge, got 'edg' (did you mean 'edge'?)");
  CHECK(s.find("pad_mode")->metavar() == "constant|reflect|edge");
  CHECK(s.find("top_db")->metavar() == "DB");
  // check() sees values set directly in the struct, as validation of a spec built in code does.
  n = 3;
  CHECK_NOTHROW(s.check());
  n = 1 << 20;
  CHECK_THROWS_WITH_AS(s.check(), "n_fft must be between 2 and 65536, got 1048576", ser::SettingError);
  CHECK(ser::format_number(1e6) == "1000000");
  CHECK(ser::format_number(1e-10) == "1e-10");
  CHECK(ser::format_number(0.1) == "0.1");
  CHECK(std::stod(ser::format_number(0.1 + 0.2)) == 0.1 + 0.2);
}
