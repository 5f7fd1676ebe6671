// Audio from containers libsndfile does not read (dsp/media_audio.cpp via
// load_audio): a shared RAVDESS clip (stereo) muxed here by Debian's ffmpeg
// into MKV (FLAC copied: the same samples), M4A (ALAC, lossless), MP4 with a
// video track (AAC), WebM (Opus) and MP3, and the files that must fail
// clearly: a video without audio, a container cut short, bytes that are
// no container at all.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "dsp/audio.hpp"
#include "support/main_requiring.hpp"
#include "support/paths.hpp"

using namespace ser::dsp;
namespace fs = std::filesystem;

namespace {

const std::string kClip = "/ravdess/Actor_01/03-01-02-01-01-02-01.flac";  // stereo, 48 kHz

fs::path work_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("ser_test_media_" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

// Runs Debian's ffmpeg (the test command installs it) to make one test file.
fs::path make(const std::string& name, const std::string& args) {
  const fs::path out = work_dir() / name;
  const std::string cmd = "ffmpeg -nostdin -loglevel error -y " + args + " '" + out.string() + "'";
  REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "ffmpeg failed (is Debian's ffmpeg installed? scripts/setup.sh --test): " << cmd);
  return out;
}

std::string clip() { return ser::test::data_dir() + kClip; }

// Signal-to-noise ratio of `got` against `want` over their common length, in dB.
double snr_db(const std::vector<float>& want, const std::vector<float>& got) {
  const size_t n = std::min(want.size(), got.size());
  double s = 0, e = 0;
  for (size_t i = 0; i < n; ++i) {
    s += double{want[i]} * want[i];
    e += (double{want[i]} - got[i]) * (double{want[i]} - got[i]);
  }
  return 10 * std::log10(s / std::max(e, 1e-30));
}

}  // namespace

TEST_CASE("lossless containers give the very samples of the source: FLAC in MKV, ALAC in M4A") {
  const Audio src = load_audio(clip());
  REQUIRE(src.source_channels == 2);
  for (const auto& [file, args] : {std::pair{std::string("clip.mkv"), "-i '" + clip() + "' -c:a copy"},
                                   std::pair{std::string("clip.m4a"), "-i '" + clip() + "' -c:a alac"}}) {
    const std::string& name = file;  // clang 14's lambdas (CAPTURE) cannot capture structured bindings
    CAPTURE(name);
    const Audio a = load_audio(make(name, args));
    CHECK(a.samples == src.samples);
    CHECK(a.sample_rate == 48000);
    CHECK(a.source_channels == 2);
    const AudioInfo info = probe_audio(work_dir() / name);
    CHECK(info.channels == 2);
    CHECK(std::abs(info.frames - static_cast<int64_t>(src.samples.size())) < 48);
  }
  // Offset, duration and resampling as for any file.
  LoadOptions o;
  o.offset = 0.75;
  o.duration = 1.5;
  o.sample_rate = 16000;
  CHECK(load_audio(work_dir() / "clip.mkv", o).samples == load_audio(clip(), o).samples);
  CHECK(load_audio(work_dir() / "clip.mkv").format.find("matroska") != std::string::npos);
}

TEST_CASE("lossy tracks: AAC beside a video in MP4, Opus in WebM, MP3 decode to the source's length and shape") {
  const Audio src = load_audio(clip());
  const std::string video = "-f lavfi -i testsrc=size=64x48:rate=10 ";
  for (const auto& [file, args, min_snr] :
       {std::tuple{std::string("clip.mp4"), video + "-i '" + clip() + "' -shortest -c:v mpeg4 -c:a aac -b:a 160k", 25.0},
        std::tuple{std::string("clip.webm"), "-i '" + clip() + "' -c:a libopus -b:a 96k", 20.0},
        std::tuple{std::string("clip.mp3"), "-i '" + clip() + "' -c:a libmp3lame -b:a 160k", 22.0}}) {
    const std::string& name = file;  // clang 14's lambdas (CAPTURE) cannot capture structured bindings
    CAPTURE(name);
    const Audio a = load_audio(make(name, args));
    CHECK(a.sample_rate == 48000);
    // Lengths agree to a codec frame (AAC keeps its last frame's padding:
    // 84 samples here); a misaligned decode would show in the SNR below.
    CHECK(std::abs(static_cast<double>(a.samples.size()) - static_cast<double>(src.samples.size())) <= 2048);
    CHECK(snr_db(src.samples, a.samples) > min_snr);  // measured here: AAC 29.5 dB, Opus 23.4, MP3 25.8
  }
}

TEST_CASE("a video without sound, a container cut short and junk: errors that name the file and the problem") {
  const fs::path silent = make("no_audio.mp4", "-f lavfi -i testsrc=size=64x48:rate=10 -t 1 -c:v mpeg4");
  CHECK_THROWS_WITH_AS(load_audio(silent), doctest::Contains("has no audio track (its streams: video mpeg4)"), AudioError);
  CHECK_THROWS_WITH_AS(load_audio(silent), doctest::Contains(silent.c_str()), AudioError);

  const fs::path whole = make("cut.mp4", "-i '" + clip() + "' -c:a aac");
  const fs::path half = work_dir() / "half.mp4";
  {
    std::ifstream in(whole, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(half, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  }
  CHECK_THROWS_WITH_AS(load_audio(half), doctest::Contains(half.c_str()), AudioError);

  const fs::path junk = work_dir() / "junk.mkv";
  std::ofstream(junk) << std::string(5000, 'x');
  CHECK_THROWS_WITH_AS(load_audio(junk), doctest::Contains("nor a container FFmpeg recognises by its content"), AudioError);
}

int main(int argc, char** argv) {
  const int rc = ser::test::run_requiring(ser::test::data_dir() + kClip, "SER_DATA", argc, argv);
  fs::remove_all(work_dir());
  return rc;
}
