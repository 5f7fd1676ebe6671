// Silence (dsp/silence.cpp) against librosa.effects.trim and split 0.10.1 on
// shared RAVDESS and TESS files and on concatenations of them with silence
// and hum between (golden values: tests/reference/silence.json, from
// tests/reference/generators/make_silence_reference.py), and the edge cases.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numbers>

#include "dsp/audio.hpp"
#include "dsp/silence.hpp"
#include "support/main_requiring.hpp"
#include "support/paths.hpp"

using namespace ser::dsp;
using nlohmann::json;

namespace {

std::vector<float> part_samples(const json& part, int& rate) {
  if (part.is_string()) {
    Audio a = load_audio(ser::test::data_dir() + "/" + part.get<std::string>());
    rate = a.sample_rate;
    return a.samples;
  }
  // ["silence", seconds] or ["hum", seconds, amplitude]: the generator's formula.
  std::vector<float> y(static_cast<size_t>(std::llround(part[1].get<double>() * rate)));
  if (part[0] == "hum")
    for (size_t i = 0; i < y.size(); ++i)
      y[i] = static_cast<float>(part[2].get<double>() *
                                std::sin(2 * std::numbers::pi * 50.0 * (static_cast<double>(i) / rate)));
  return y;
}

std::vector<float> signal_of(const json& parts) {
  int rate = 0;
  std::vector<float> y;
  for (const json& p : parts) {  // every concatenation starts with a file or a gap at the rate of its files
    if (rate == 0 && !p.is_string())
      for (const json& q : parts)
        if (q.is_string()) rate = load_audio(ser::test::data_dir() + "/" + q.get<std::string>()).sample_rate;
    const auto s = part_samples(p, rate);
    y.insert(y.end(), s.begin(), s.end());
  }
  return y;
}

SilenceOptions options_of(const json& s) {
  SilenceOptions o;
  o.top_db = s["top_db"];
  o.frame_length = s["frame_length"];
  o.hop_length = s["hop_length"];
  o.ref = s["ref"];
  return o;
}

std::vector<Interval> intervals_of(const json& j) {
  std::vector<Interval> v;
  for (const json& i : j) v.push_back({i[0].get<int64_t>(), i[1].get<int64_t>()});
  return v;
}

std::string reference_file() { return ser::test::own_reference_file("silence.json"); }

}  // namespace

TEST_CASE("trim and split: librosa's intervals on real files and concatenations, frame dB within 1e-3") {
  std::ifstream in(reference_file());
  REQUIRE_MESSAGE(in.good(), reference_file() << " is missing: it is part of the repository");
  const json ref = json::parse(in);
  REQUIRE(ref["cases"].size() >= 20);
  size_t ties = 0;
  for (const json& c : ref["cases"]) {
    CAPTURE(c["signal"].get<std::string>());
    CAPTURE(c["settings"].dump());
    const std::vector<float> y = signal_of(c["parts"]);
    REQUIRE(static_cast<int64_t>(y.size()) == c["samples"].get<int64_t>());
    const SilenceOptions o = options_of(c["settings"]);
    const std::vector<double> db = frame_db(y, o), want_db = c["db"];
    REQUIRE(db.size() == want_db.size());
    double worst = 0;
    bool tie = false;  // a frame on the threshold itself, where float32 and float64 may fall either side
    for (size_t i = 0; i < db.size(); ++i) {
      worst = std::max(worst, std::abs(db[i] - want_db[i]));
      tie |= std::abs(want_db[i] + o.top_db) < 1e-3;
    }
    CHECK(worst < 1e-3);
    if (tie) {
      ++ties;
      continue;
    }
    const Interval t = trim(y, o);
    CHECK(t.start == c["trim"][0].get<int64_t>());
    CHECK(t.end == c["trim"][1].get<int64_t>());
    CHECK(split(y, o) == intervals_of(c["split"]));
  }
  CHECK(ties <= 2);  // the intervals are really compared, not skipped
}

TEST_CASE("silence: nothing but zeros, no silence at all, one sample, and settings out of range") {
  const std::vector<float> zeros(10000, 0.0f);
  // librosa's np.max reference of digital silence is 0 itself: every frame
  // is at 0 dB (amin against amin), none below, so nothing is trimmed.
  CHECK(trim(zeros) == Interval{0, 10000});
  std::vector<float> tone(30000);
  for (size_t i = 0; i < tone.size(); ++i) tone[i] = static_cast<float>(0.3 * std::sin(0.05 * static_cast<double>(i)));
  CHECK(trim(tone) == Interval{0, 30000});
  CHECK(split(tone) == std::vector<Interval>{{0, 30000}});
  SilenceOptions fixed;
  fixed.ref = 1.0;  // a fixed reference: digital silence is 100 dB below it
  CHECK(split(zeros, fixed).empty());
  CHECK(trim(zeros, fixed) == Interval{0, 0});
  CHECK(split(std::vector<float>{}).empty());
  SilenceOptions bad;
  bad.hop_length = 0;
  CHECK_THROWS_WITH_AS(split(tone, bad), doctest::Contains("silence_hop_length"), ser::SettingError);
}

int main(int argc, char** argv) { return ser::test::run_requiring(ser::test::data_dir(), "SER_DATA", argc, argv); }
