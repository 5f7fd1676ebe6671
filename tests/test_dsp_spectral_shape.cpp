// Spectral shape (dsp/spectral_shape.cpp) against librosa 0.10.1's
// spectral_centroid, _bandwidth, _rolloff, _flatness and _contrast, with
// their defaults and with other settings, and loudness against librosa's
// A_weighting, on the four shared reference signals (golden values: tests/reference/spectral_shape.json,
// from tests/reference/generators/make_spectral_shape_reference.py), as
// feature kinds through FeatureExtractor, and on frames of silence.
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
std::string reference_file() { return ser::test::own_reference_file("spectral_shape.json"); }

// The largest difference from librosa over the largest magnitude of its
// values; rolloff instead counts the frames that name another bin.
struct Agreement {
  double rel_err = 0;
  int bins_off = 0;
};

Agreement compare(const Matrix& ours, const nlohmann::json& want_json, double bin_hz) {
  std::vector<std::vector<double>> want;
  if (want_json[0].is_array())
    want = want_json.get<std::vector<std::vector<double>>>();
  else
    want = {want_json.get<std::vector<double>>()};
  REQUIRE(static_cast<size_t>(ours.rows) == want.size());
  REQUIRE(static_cast<size_t>(ours.cols) == want[0].size());
  Agreement a;
  double peak = 0, err = 0;
  for (size_t r = 0; r < want.size(); ++r)
    for (size_t t = 0; t < want[r].size(); ++t) {
      const double d = std::abs(ours(static_cast<int64_t>(r), static_cast<int64_t>(t)) - want[r][t]);
      peak = std::max(peak, std::abs(want[r][t]));
      err = std::max(err, d);
      a.bins_off += d > bin_hz / 2;
    }
  a.rel_err = err / peak;
  return a;
}

// Each kind with its settings; "custom" sets every shape setting away from its default.
struct ShapeCase {
  const char* kind;
  const char* key;     // in the reference file
  bool custom = false;
  bool linear = false;
};

FeatureSpec spec_of(const ShapeCase& c) {
  FeatureSpec spec;
  spec.kind = parse_feature_kind(c.kind);
  if (c.custom) {
    spec.shape = {1.0, 0.5, 1.0};
    spec.contrast.n_bands = 4;
    spec.contrast.fmin = 300;
    spec.contrast.quantile = 0.05;
  }
  spec.contrast.linear = c.linear;
  return spec;
}

}  // namespace

TEST_CASE("spectral shape, contrast and loudness: librosa's values within 1e-9 of their peak, rolloff's bins exactly") {
  std::ifstream in(reference_file());
  REQUIRE_MESSAGE(in.good(), reference_file() << " is missing: it is part of the repository");
  const auto ref = nlohmann::json::parse(in);
  REQUIRE(ref["files"].size() == 4);
  const ShapeCase cases[] = {{"centroid", "centroid"},        {"bandwidth", "bandwidth"},
                             {"rolloff", "rolloff"},          {"flatness", "flatness"},
                             {"contrast", "contrast"},        {"loudness", "loudness"},
                             {"bandwidth", "bandwidth", true}, {"rolloff", "rolloff", true},
                             {"flatness", "flatness", true},   {"contrast", "contrast", true},
                             {"contrast", "contrast_linear", true, true}};
  for (const auto& [name, f] : ref["files"].items()) {
    const std::vector<float> y = ser::read_npy(ser::test::reference_dir() + "/librosa/" + name + "/y.npy").as_float();
    const int sr = f["sample_rate"].get<int>();
    for (const ShapeCase& c : cases) {
      const std::string what = name + " " + c.key + (c.custom ? " (custom settings)" : "");
      INFO(what);
      const Matrix ours = FeatureExtractor(spec_of(c))(y, sr);
      const auto& want = c.custom ? f["custom"][c.key] : f[c.key];
      const Agreement a = compare(ours, want, static_cast<double>(sr) / 2048);
      // Rolloff is a bin's frequency, found by the same running sum as
      // numpy's cumsum: every frame must name librosa's bin.
      if (std::string(c.kind) == "rolloff") {
        std::printf("librosa %-22s %-16s %d frames of %lld on another bin\n", name.c_str(), c.key, a.bins_off,
                    static_cast<long long>(ours.cols));
        CHECK(a.bins_off == 0);
        continue;
      }
      std::printf("librosa %-22s %-16s%s max rel err %.2e\n", name.c_str(), c.key, c.custom ? " custom" : "       ",
                  a.rel_err);
      CHECK(a.rel_err <= 1e-9);  // both in float64
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
  // A band that starts above Nyquist is refused with the settings to change.
  CHECK_THROWS_WITH(spectral_contrast(Matrix(129, 1), 2000, 256),
                    doctest::Contains("lower contrast_fmin or contrast_bands"));
  // A 1 kHz tone is 0 dB (power 1) in loudness' weighting at 1 kHz, to a few hundredths of a dB.
  CHECK(a_weighting(1000.0) == doctest::Approx(0.0).epsilon(0.01));
  CHECK(a_weighting(0.0) == -80.0);
}

int main(int argc, char** argv) {
  return ser::test::run_requiring(ser::test::reference_dir() + "/librosa", "SER_REFERENCE", argc, argv);
}
