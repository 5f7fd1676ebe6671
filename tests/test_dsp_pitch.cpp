// yin and pyin (dsp/yin, dsp/pyin) against librosa 0.10.1 on the four
// shared reference signals, with librosa's defaults and with other settings
// (golden values: tests/reference/pitch.json, from
// tests/reference/generators/make_pitch_reference.py); as feature kinds
// through FeatureExtractor; and on signals whose pitch is known.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numbers>

#include "common/npy.hpp"
#include "dsp/feature_spec.hpp"
#include "dsp/pyin.hpp"
#include "dsp/yin.hpp"
#include "support/main_requiring.hpp"
#include "support/paths.hpp"

using namespace ser::dsp;

namespace {

std::string reference_file() { return ser::test::own_reference_file("pitch.json"); }

nlohmann::json reference() {
  std::ifstream in(reference_file());
  REQUIRE_MESSAGE(in.good(), reference_file() << " is missing: it is part of the repository");
  return nlohmann::json::parse(in);
}

// The generator's two settings, as a feature spec.
FeatureSpec spec_of(const std::string& setting, FeatureKind kind) {
  FeatureSpec s;
  s.kind = kind;
  if (setting == "custom") {
    s.stft.n_fft = 1024;
    s.stft.hop_length = 256;
    s.pitch = {75.0, 600.0, 400};
    s.yin.threshold = 0.2;
    s.pyin.resolution = 0.2;
    s.pyin.switch_prob = 0.05;
    s.pyin.beta_a = 1;
    s.pyin.beta_b = 10;
  }
  return s;
}

}  // namespace

TEST_CASE("yin: librosa's f0 in every frame, to 1e-9 relative") {
  const auto ref = reference();
  REQUIRE(ref["files"].size() == 4);
  for (const auto& [name, f] : ref["files"].items()) {
    const std::vector<float> y = ser::read_npy(ser::test::reference_dir() + "/librosa/" + name + "/y.npy").as_float();
    for (const std::string setting : {"default", "custom"}) {
      const std::string what = name + " " + setting;
      INFO(what);
      const Matrix ours = FeatureExtractor(spec_of(setting, FeatureKind::yin))(y, f["sample_rate"].get<int>());
      const std::vector<double> want = f[setting]["yin"];
      REQUIRE(static_cast<size_t>(ours.cols) == want.size());
      double worst = 0;
      for (size_t t = 0; t < want.size(); ++t) worst = std::max(worst, std::abs(ours.data[t] - want[t]) / want[t]);
      std::printf("librosa %-22s yin  %-8s %zu frames, max rel err %.2e\n", name.c_str(), setting.c_str(), want.size(),
                  worst);
      CHECK(worst <= 1e-9);
    }
  }
}

TEST_CASE("pyin: librosa's decoded track (bin, voicing) in every frame, voiced probability to 1e-9") {
  const auto ref = reference();
  for (const auto& [name, f] : ref["files"].items()) {
    const std::vector<float> y = ser::read_npy(ser::test::reference_dir() + "/librosa/" + name + "/y.npy").as_float();
    const int sr = f["sample_rate"].get<int>();
    for (const std::string setting : {"default", "custom"}) {
      const std::string what = name + " " + setting;
      INFO(what);
      const FeatureSpec spec = spec_of(setting, FeatureKind::pyin);
      const FrameOptions frames{spec.stft.n_fft, spec.stft.hop_length ? spec.stft.hop_length : spec.stft.n_fft / 4, true};
      const PyinTrack ours = pyin_decode(pyin_observations(y, sr, frames, spec.stft.pad_mode, spec.pitch, spec.pyin), sr,
                                         frames.hop_length, spec.pitch, spec.pyin);
      const std::vector<double> f0 = f[setting]["pyin_f0"], prob = f[setting]["pyin_probability"];
      const std::vector<int> voiced = f[setting]["pyin_voiced"];
      REQUIRE(ours.f0.size() == f0.size());
      int other_bin = 0, other_voiced_bin = 0, other_voicing = 0, voiced_frames = 0;
      double prob_err = 0;
      std::vector<int> their_states;
      const PitchBins bins = pitch_bins(spec.pitch, spec.pyin);
      for (size_t t = 0; t < f0.size(); ++t) {
        const bool differ = std::abs(ours.f0[t] - f0[t]) > 1e-9 * f0[t];
        other_bin += differ;
        other_voiced_bin += differ && voiced[t];
        const int bin = static_cast<int>(std::lround(12 * bins.per_semitone * std::log2(f0[t] / bins.fmin)));
        their_states.push_back(voiced[t] ? bin : bins.count + bin);
        other_voicing += ours.voiced[t] != (voiced[t] == 1);
        voiced_frames += voiced[t];
        prob_err = std::max(prob_err, std::abs(ours.voiced_probability[t] - prob[t]));
      }
      // Where the paths part, they must tie: librosa's path scores what ours does.
      const double theirs = pyin_path_log_probability(
          pyin_observations(y, sr, frames, spec.stft.pad_mode, spec.pitch, spec.pyin), their_states, sr,
          frames.hop_length, spec.pitch, spec.pyin);
      const double tie = std::abs(theirs - ours.log_probability) / std::abs(ours.log_probability);
      std::printf("librosa %-22s pyin %-8s %zu frames (%d voiced): %d on another bin (%d voiced), %d voiced "
                  "otherwise; path log probability %.6g, librosa's path's %.2e from it; probability max abs err %.2e\n",
                  name.c_str(), setting.c_str(), f0.size(), voiced_frames, other_bin, other_voiced_bin, other_voicing,
                  ours.log_probability, tie, prob_err);
      CHECK(other_voiced_bin == 0);
      CHECK(tie <= 1e-12);
      CHECK(other_voicing == 0);
      CHECK(prob_err <= 1e-9);
      // The feature kind's rows are the same track, 0 Hz where unvoiced.
      const Matrix rows = FeatureExtractor(spec)(y, sr);
      REQUIRE(rows.rows == 3);
      for (size_t t = 0; t < f0.size(); ++t) {
        const auto c = static_cast<int64_t>(t);
        CHECK(rows(0, c) == (ours.voiced[t] ? ours.f0[t] : 0.0));
        CHECK(rows(1, c) == (ours.voiced[t] ? 1.0 : 0.0));
      }
    }
  }
}

TEST_CASE("a known pitch: a 220 Hz tone is found by yin and pyin, silence is unvoiced, bad ranges are refused") {
  const int sr = 16000;
  std::vector<float> y(sr);
  for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * 220.0 * i / sr));
  const FrameOptions frames{2048, 512, true};
  const Matrix f0 = yin(y, sr, frames, PadMode::constant, {});
  for (int64_t t = 4; t + 4 < f0.cols; ++t) CHECK(f0(0, t) == doctest::Approx(220.0).epsilon(0.002));  // frames wholly inside
  const Matrix p = pyin(y, sr, frames, PadMode::constant, {});
  for (int64_t t = 4; t + 4 < p.cols; ++t) {
    CHECK(p(1, t) == 1.0);
    CHECK(std::abs(12 * std::log2(p(0, t) / 220.0)) <= 0.1);  // within a bin (0.1 semitone)
  }
  const std::vector<float> silence(sr, 0.0f);
  const Matrix quiet = pyin(silence, sr, frames, PadMode::constant, {});
  for (int64_t t = 0; t < quiet.cols; ++t) CHECK(quiet(1, t) == 0.0);
  CHECK_THROWS_WITH(yin_lags(sr, 2048, {65, 9000, 0}), doctest::Contains("above the Nyquist frequency"));
  CHECK_THROWS_WITH(yin_lags(sr, 2048, {500, 400, 0}), doctest::Contains("must be below pitch_fmax"));
  CHECK_THROWS_WITH(yin_lags(48000, 256, {65, 100, 0}), doctest::Contains("raise pitch_fmax"));
}

TEST_CASE("beta_cdf: scipy.stats.beta.cdf's values") {
  // scipy 1.10: beta.cdf(0.1, 2, 18), beta.cdf(0.37, 1, 10), beta.cdf(0.9, 2.5, 0.5)
  CHECK(beta_cdf(0.1, 2, 18) == doctest::Approx(0.5797350211684026).epsilon(1e-13));
  CHECK(beta_cdf(0.37, 1, 10) == doctest::Approx(0.9901506970811821).epsilon(1e-13));
  CHECK(beta_cdf(0.9, 2.5, 0.5) == doctest::Approx(0.48958974456442755).epsilon(1e-13));
  CHECK(beta_cdf(0.0, 2, 18) == 0.0);
  CHECK(beta_cdf(1.0, 2, 18) == 1.0);
}

int main(int argc, char** argv) {
  return ser::test::run_requiring(ser::test::reference_dir() + "/librosa", "SER_REFERENCE", argc, argv);
}
