// Spectral shape (dsp/spectral_shape.cpp) against librosa 0.10.1's
// spectral_centroid, _bandwidth, _rolloff and _flatness on the four shared
// reference signals (golden values: tests/reference/spectral_shape.json,
// from tests/reference/generators/make_spectral_shape_reference.py), as
// feature kinds through FeatureExtractor, and on frames of silence.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/npy.hpp"
#include "dsp/feature_spec.hpp"
#include "dsp/spectral_shape.hpp"
#include "support/main_requiring.hpp"
#include "support/paths.hpp"

using namespace ser::dsp;

namespace {
std::string reference_file() { return ser::test::own_reference_dir() + "/spectral_shape.json"; }
}  // namespace

TEST_CASE("centroid, bandwidth, rolloff and flatness: librosa's values within 1e-9 of their peak, rolloff's bins exactly") {
  std::ifstream in(reference_file());
  REQUIRE_MESSAGE(in.good(), reference_file() << " is missing: it is part of the repository");
  const auto ref = nlohmann::json::parse(in);
  REQUIRE(ref["files"].size() == 4);
  for (const auto& [name, f] : ref["files"].items()) {
    const std::vector<float> y = ser::read_npy(ser::test::reference_dir() + "/librosa/" + name + "/y.npy").as_float();
    for (const char* kind : {"centroid", "bandwidth", "rolloff", "flatness"}) {
      FeatureSpec spec;
      spec.kind = parse_feature_kind(kind);
      const Matrix ours = FeatureExtractor(spec)(y, f["sample_rate"].get<int>());
      const std::vector<double> want = f[kind];
      INFO(name << " " << kind);
      REQUIRE(ours.rows == 1);
      REQUIRE(static_cast<size_t>(ours.cols) == want.size());
      double peak = 0, err = 0;
      int bins_off = 0;
      for (size_t t = 0; t < want.size(); ++t) {
        peak = std::max(peak, std::abs(want[t]));
        err = std::max(err, std::abs(ours.data[t] - want[t]));
      }
      // Rolloff is a bin's frequency, found by the same running sum as
      // numpy's cumsum: every frame must name librosa's bin.
      if (std::string(kind) == "rolloff") {
        const double bin = f["sample_rate"].get<double>() / 2048;
        for (size_t t = 0; t < want.size(); ++t) bins_off += std::abs(ours.data[t] - want[t]) > bin / 2;
        std::printf("librosa %-22s rolloff: %d frames of %zu on another bin\n", name.c_str(), bins_off, want.size());
        CHECK(bins_off == 0);
        continue;
      }
      std::printf("librosa %-22s %-10s max rel err %.2e\n", name.c_str(), kind, err / peak);
      CHECK(err / peak <= 1e-9);  // both in float64: found at most 2.7e-13
    }
  }
}

TEST_CASE("a silent frame: centroid, bandwidth and rolloff 0, flatness 1; a pure tone: its frequency") {
  Matrix silent(1025, 3);
  CHECK(spectral_centroid(silent, 22050, 2048).data == std::vector<double>(3, 0.0));
  CHECK(spectral_bandwidth(silent, 22050, 2048).data == std::vector<double>(3, 0.0));
  CHECK(spectral_rolloff(silent, 22050, 2048).data == std::vector<double>(3, 0.0));
  for (const double v : spectral_flatness(silent).data) CHECK(v == doctest::Approx(1.0).epsilon(1e-12));
  Matrix tone(1025, 1);
  tone(100, 0) = 1.0;  // all of it in bin 100
  const double f100 = 100 * 22050.0 / 2048;
  CHECK(spectral_centroid(tone, 22050, 2048)(0, 0) == doctest::Approx(f100));
  CHECK(spectral_bandwidth(tone, 22050, 2048)(0, 0) == doctest::Approx(0.0));
  CHECK(spectral_rolloff(tone, 22050, 2048)(0, 0) == doctest::Approx(f100));
  CHECK(spectral_flatness(tone)(0, 0) < 1e-3);
}

int main(int argc, char** argv) {
  return ser::test::run_requiring(ser::test::reference_dir() + "/librosa", "SER_REFERENCE", argc, argv);
}
