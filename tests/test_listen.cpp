// `ser listen`: a recording piped through --stdin gives, window for window,
// the same model inputs (bit for bit) and the same predictions as `ser
// timeline --no-gate` of the same file with the same windows and hop, in
// float and in 16-bit PCM; a stream cut inside a frame or holding a NaN ends
// cleanly with its summary, as does Ctrl-C; the latency figures are
// printed; a file played at its own pace is heard; without a microphone the
// error lists the devices found.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/npy.hpp"
#include "datasets/audio_corpora.hpp"
#include "dsp/audio.hpp"
#include "support/main_requiring.hpp"
#include "support/paths.hpp"
#include "support/speech_recording.hpp"
#include "support/trained_tess.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Fixture {
  fs::path dir = fs::temp_directory_path() / ("ser_test_listen_" + std::to_string(::getpid()));
  std::string model;
  ser::test::SpeechRecording rec;
  Fixture() {
    fs::remove_all(dir);
    fs::create_directories(dir);
    model = ser::test::train_tess_flat_mlp(dir);
    rec = ser::test::make_speech_recording(ser::datasets::load_tess(ser::test::data_dir() + "/tess"),
                                           {.files = 8, .seed = 11});
  }
  ~Fixture() { fs::remove_all(dir); }
  fs::path at(const std::string& name) const { return dir / name; }
  int ser(const std::string& args, const std::string& out, const std::string& err) const {
    return std::system((std::string(SER_BINARY) + " " + args + " > '" + at(out).string() + "' 2> '" +
                        at(err).string() + "'").c_str());
  }
  std::string text(const std::string& name) const {
    std::ifstream in(at(name));
    return {std::istreambuf_iterator<char>(in), {}};
  }
  void write_bytes(const std::string& name, const void* p, size_t n) const {
    std::ofstream(at(name), std::ios::binary).write(static_cast<const char*>(p), static_cast<std::streamsize>(n));
  }
};

std::vector<json> json_lines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(json::parse(line));
  return out;
}

// Listen's windows against the timeline's of the same start: equal
// probabilities and equal inputs, bit for bit. Returns how many matched.
size_t same_windows(const Fixture& f, const std::string& timeline_json, const std::string& timeline_npy,
                    const std::string& listen_jsonl, const std::string& listen_npy) {
  const json t = json::parse(f.text(timeline_json));
  const auto live = json_lines(f.text(listen_jsonl));
  const ser::NpyArray ti = ser::read_npy(f.at(timeline_npy).string()), li = ser::read_npy(f.at(listen_npy).string());
  REQUIRE(ti.shape.size() == 2);
  REQUIRE(li.shape.size() == 2);
  REQUIRE(ti.shape[1] == li.shape[1]);
  std::map<double, size_t> by_start;
  for (size_t i = 0; i < t["windows"].size(); ++i) by_start[t["windows"][i]["start"].get<double>()] = i;
  const auto width = static_cast<size_t>(li.shape[1]);
  size_t matched = 0;
  for (size_t k = 0; k < live.size(); ++k) {
    const auto it = by_start.find(live[k]["start"].get<double>());
    if (it == by_start.end()) continue;
    CAPTURE(k);
    CHECK(live[k]["probabilities"] == t["windows"][it->second]["probabilities"]);
    // float32 values read as double: equal doubles, equal bits
    CHECK(std::equal(li.data.begin() + static_cast<std::ptrdiff_t>(k * width),
                     li.data.begin() + static_cast<std::ptrdiff_t>((k + 1) * width),
                     ti.data.begin() + static_cast<std::ptrdiff_t>(it->second * width)));
    ++matched;
  }
  return matched;
}

}  // namespace

TEST_CASE("stdin, window for window: the offline timeline's inputs and predictions, bit for bit") {
  Fixture f;
  const std::string common = " --model '" + f.model + "' --no-gate --hop 0.5";
  // Float samples.
  ser::dsp::save_wav(f.at("rec.wav").string(), f.rec.samples, f.rec.sample_rate, ser::dsp::SampleFormat::float32);
  f.write_bytes("rec.f32", f.rec.samples.data(), f.rec.samples.size() * sizeof(float));
  REQUIRE(f.ser("timeline '" + f.at("rec.wav").string() + "'" + common + " --json '" + f.at("t.json").string() +
                    "' --save-inputs '" + f.at("t.npy").string() + "'",
                "t.out", "t.err") == 0);
  REQUIRE(f.ser("listen --stdin --rate " + std::to_string(f.rec.sample_rate) + " --format f32le --json" + common +
                    " --save-inputs '" + f.at("l.npy").string() + "' < '" + f.at("rec.f32").string() + "'",
                "l.jsonl", "l.err") == 0);
  const auto live = json_lines(f.text("l.jsonl"));
  const size_t expected = static_cast<size_t>((f.rec.seconds() - 2.79) / 0.51) + 1;
  CHECK(live.size() + 1 >= expected);
  CHECK(same_windows(f, "t.json", "t.npy", "l.jsonl", "l.npy") == live.size());

  // 16-bit PCM: the WAV as libsndfile reads it, and its raw samples piped.
  ser::dsp::save_wav(f.at("rec16.wav").string(), f.rec.samples, f.rec.sample_rate, ser::dsp::SampleFormat::pcm16);
  const ser::dsp::Audio a = ser::dsp::load_audio(f.at("rec16.wav").string());
  std::vector<int16_t> s16(a.samples.size());
  for (size_t i = 0; i < s16.size(); ++i) s16[i] = static_cast<int16_t>(std::lround(a.samples[i] * 32768.0f));
  f.write_bytes("rec.s16", s16.data(), s16.size() * 2);
  REQUIRE(f.ser("timeline '" + f.at("rec16.wav").string() + "'" + common + " --json '" + f.at("t16.json").string() +
                    "' --save-inputs '" + f.at("t16.npy").string() + "'",
                "t.out", "t.err") == 0);
  REQUIRE(f.ser("listen --stdin --rate " + std::to_string(f.rec.sample_rate) + " --format s16le --json" + common +
                    " --save-inputs '" + f.at("l16.npy").string() + "' < '" + f.at("rec.s16").string() + "'",
                "l16.jsonl", "l16.err") == 0);
  CHECK(same_windows(f, "t16.json", "t16.npy", "l16.jsonl", "l16.npy") == json_lines(f.text("l16.jsonl")).size());

  // The latency figures: per window, and the summary.
  for (const auto& w : live) CHECK(w["latency_ms"].get<double>() >= 0);
  const std::string summary = f.text("l.err");
  CHECK(summary.find("latency from a window's last sample to its prediction: median ") != std::string::npos);
  CHECK(summary.find("99th percentile") != std::string::npos);
}

TEST_CASE("a stream cut inside a frame or holding a NaN ends cleanly; a file at its pace; no microphone") {
  Fixture f;
  const std::string model = " --model '" + f.model + "'";
  const std::string rate = std::to_string(f.rec.sample_rate);
  std::vector<float> head(f.rec.samples.begin(), f.rec.samples.begin() + 5 * f.rec.sample_rate);
  // Three bytes more than whole frames.
  std::vector<uint8_t> cut(reinterpret_cast<const uint8_t*>(head.data()),
                           reinterpret_cast<const uint8_t*>(head.data() + head.size()));
  cut.insert(cut.end(), {1, 2, 3});
  f.write_bytes("cut.f32", cut.data(), cut.size());
  CHECK(f.ser("listen --stdin --rate " + rate + " --format f32le" + model + " < '" + f.at("cut.f32").string() + "'",
              "cut.out", "cut.err") == 0);
  CHECK(f.text("cut.err").find("the stream ended inside a frame; its last 3 bytes were left out") != std::string::npos);
  CHECK(f.text("cut.err").find("windows") != std::string::npos);
  CHECK(!f.text("cut.out").empty());  // plain lines: not a terminal

  // A NaN four seconds in: the windows before it, then the error naming the frame, then the summary.
  std::vector<float> bad = head;
  bad[4 * static_cast<size_t>(f.rec.sample_rate)] = std::numeric_limits<float>::quiet_NaN();
  f.write_bytes("nan.f32", bad.data(), bad.size() * sizeof(float));
  CHECK(f.ser("listen --stdin --json --no-gate --rate " + rate + " --format f32le" + model + " < '" +
                  f.at("nan.f32").string() + "'",
              "nan.out", "nan.err") == 256);
  CHECK(f.text("nan.err").find("frame " + std::to_string(4 * f.rec.sample_rate) + " is NaN") != std::string::npos);
  CHECK(f.text("nan.err").find("latency") != std::string::npos);
  CHECK(!json_lines(f.text("nan.out")).empty());

  // A file at its own pace: 1.5 s of audio take about 1.5 s.
  ser::dsp::save_wav(f.at("head.wav").string(), head, f.rec.sample_rate);
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(f.ser("listen --realtime '" + f.at("head.wav").string() + "' --seconds 3.5 --hop 0.25 --no-gate --json" + model,
              "rt.out", "rt.err") == 0);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(took > 3.4);
  CHECK(json_lines(f.text("rt.out")).size() >= 2);

  // Ctrl-C: the windows so far, then the summary, exit status 0.
  // (built by appending: GCC 12 warns falsely of overlap on a long chain of + here)
  std::string interrupted = "(";
  interrupted += SER_BINARY;
  interrupted += " listen --realtime '" + f.at("head.wav").string() + "' --hop 0.25 --no-gate --json" + model;
  interrupted += " > '" + f.at("int.out").string() + "' 2> '" + f.at("int.err").string() + "'";
  interrupted += " & pid=$!; sleep 4; kill -INT $pid; wait $pid)";
  CHECK(std::system(interrupted.c_str()) == 0);
  CHECK(f.text("int.err").find("latency") != std::string::npos);
  CHECK(!json_lines(f.text("int.out")).empty());

  // Without --rate raw PCM cannot be read; without a microphone, the devices found.
  CHECK(f.ser("listen --stdin" + model, "u.out", "u.err") == 2 * 256);
  CHECK(f.text("u.err").find("--stdin needs --rate") != std::string::npos);
  REQUIRE(f.ser("listen --list-devices", "d.out", "d.err") == 0);
  if (f.text("d.out").find("no input devices") != std::string::npos) {
    CHECK(f.ser("listen" + model, "m.out", "m.err") == 256);
    CHECK(f.text("m.err").find("no input device found") != std::string::npos);
    CHECK(f.text("m.err").find("--stdin") != std::string::npos);
  } else {
    MESSAGE("this machine has an input device; the no-microphone error is not exercised");
  }
}

int main(int argc, char** argv) { return ser::test::run_requiring(ser::test::data_dir(), "SER_DATA", argc, argv); }
