// Audio in and out: the quirk files of ../shared/data, resampling accuracy,
// augmentations, and bad input that must give a clear error, never a crash.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <complex>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <numbers>

#include "common/text.hpp"
#include "dsp/audio.hpp"
#include "dsp/augment.hpp"
#include "dsp/resample.hpp"
#include "dsp/stft.hpp"
#include "support/main_requiring.hpp"
#include "support/paths.hpp"

using namespace ser::dsp;
namespace fs = std::filesystem;

namespace {
std::vector<float> sine(double freq, double sr, double seconds, double amplitude = 0.5, double phase = 0.0) {
  std::vector<float> y(static_cast<size_t>(std::llround(seconds * sr)));
  for (size_t i = 0; i < y.size(); ++i)
    y[i] = static_cast<float>(amplitude * std::sin(2 * std::numbers::pi * freq * static_cast<double>(i) / sr + phase));
  return y;
}

// Frequency of the strongest component: a Hann-windowed DFT scanned around
// the FFT peak on a fine grid (0.01 Hz), over the middle half of the signal.
double dominant_frequency(const std::vector<float>& y, double sr) {
  const size_t start = y.size() / 4, n = y.size() / 2;
  std::vector<double> x(n);
  for (size_t i = 0; i < n; ++i)
    x[i] =
        y[start + i] * (0.5 - 0.5 * std::cos(2 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(n)));
  auto power_at = [&](double f) {
    std::complex<double> acc = 0;
    const std::complex<double> step = std::polar(1.0, -2 * std::numbers::pi * f / sr);
    std::complex<double> w = 1;
    for (size_t i = 0; i < n; ++i, w *= step) acc += x[i] * w;
    return std::norm(acc);
  };
  double best = 0, best_p = -1;
  for (double f = 50; f < sr / 2 - 50; f += 5)  // coarse
    if (const double p = power_at(f); p > best_p) best_p = p, best = f;
  const double lo = best - 5;
  for (double f = lo; f <= lo + 10; f += 0.01)
    if (const double p = power_at(f); p > best_p) best_p = p, best = f;
  return best;
}

fs::path temp_dir() {
  fs::path d = fs::temp_directory_path() / ("ser_test_audio_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

std::string quirk(const std::string& name) { return ser::test::data_dir() + "/quirks/" + name; }

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("quirk files: AIFF behind .wav, 96 kHz TESS, stereo RAVDESS") {
  for (const char* name : {"YAF_germ_angry.wav", "YAF_neat_fear.wav"}) {
    const Audio a = load_audio(quirk(name));
    INFO(name);
    CHECK(a.format.find("AIFF") != std::string::npos);
    CHECK(a.sample_rate == 24414);
    CHECK(a.seconds() > 1.0);
  }
  const Audio hi = load_audio(quirk("OAF_food_fear.wav"));
  CHECK(hi.sample_rate == 96000);
  for (int rate : {16000, 22050}) {
    LoadOptions o;
    o.sample_rate = rate;
    const Audio r = load_audio(quirk("OAF_food_fear.wav"), o);
    CHECK(r.sample_rate == rate);
    CHECK(r.source_rate == 96000);
    CHECK(r.samples.size() == static_cast<size_t>(std::ceil(hi.samples.size() * rate / 96000.0)));
    CHECK(r.seconds() == doctest::Approx(hi.seconds()).epsilon(1e-3));
    // Band-limited: the energy is kept (speech lies far below the new Nyquist).
    double e_hi = 0, e_r = 0;
    for (float v : hi.samples) e_hi += static_cast<double>(v) * v / 96000.0;
    for (float v : r.samples) e_r += static_cast<double>(v) * v / rate;
    CHECK(e_r == doctest::Approx(e_hi).epsilon(0.02));
  }
  const Audio stereo = load_audio(quirk("03-01-02-01-01-02-01.wav"));
  CHECK(stereo.source_channels == 2);
  CHECK(stereo.sample_rate == 48000);
  LoadOptions o16;
  o16.sample_rate = 16000;
  CHECK(load_audio(quirk("03-01-02-01-01-02-01.wav"), o16).sample_rate == 16000);
}

TEST_CASE("offset and duration select samples as librosa.load does") {
  const Audio full = load_audio(quirk("YAF_germ_angry.wav"));
  LoadOptions o;
  o.offset = 0.25;
  o.duration = 0.5;
  const Audio part = load_audio(quirk("YAF_germ_angry.wav"), o);
  const auto start = static_cast<size_t>(0.25 * 24414);
  REQUIRE(part.samples.size() == static_cast<size_t>(0.5 * 24414));
  size_t mismatches = 0;
  for (size_t i = 0; i < part.samples.size(); ++i) mismatches += part.samples[i] != full.samples[start + i];
  CHECK(mismatches == 0);
}

TEST_CASE("resampling sines from 8 to 96 kHz keeps frequency and amplitude (>= 80 dB SNR)") {
  double worst = INFINITY;
  for (double source : {8000.0, 11025.0, 16000.0, 22050.0, 24414.0, 32000.0, 44100.0, 48000.0, 96000.0}) {
    for (double target : {16000.0, 22050.0, 44100.0}) {
      const double f = std::min(source, target) * 0.3;  // well inside both pass bands
      const double seconds = 1.0;
      const auto y = sine(f, source, seconds, 0.5, 0.3);
      const auto r = resample(y, source, target);
      REQUIRE(r.size() == static_cast<size_t>(std::ceil(y.size() * target / source)));
      const auto ideal = sine(f, target, seconds, 0.5, 0.3);
      // Compare away from the ends, where the filter sees the sine switch on and off.
      const size_t edge = static_cast<size_t>(0.05 * target);
      double signal = 0, noise = 0;
      for (size_t i = edge; i + edge < r.size() && i < ideal.size(); ++i) {
        signal += static_cast<double>(ideal[i]) * ideal[i];
        noise += static_cast<double>(r[i] - ideal[i]) * (r[i] - ideal[i]);
      }
      const double snr = 10 * std::log10(signal / noise);
      CAPTURE(source);
      CAPTURE(target);
      CHECK(snr >= 80.0);
      worst = std::min(worst, snr);
    }
  }
  std::printf("resample: worst signal-to-error ratio %.1f dB over 27 rate pairs\n", worst);
}

TEST_CASE("time stretch by 0.8 and 1.25: duration scales, pitch stays") {
  const double sr = 22050;
  const auto y = sine(440.0, sr, 2.0);
  const double f0 = dominant_frequency(y, sr);
  for (double rate : {0.8, 1.25}) {
    const auto s = time_stretch(y, rate);
    CAPTURE(rate);
    CHECK(s.size() == static_cast<size_t>(std::nearbyint(y.size() / rate)));
    const double f = dominant_frequency(s, sr);
    std::printf("time stretch %.2f: %zu -> %zu samples, dominant %.2f Hz -> %.2f Hz\n", rate, y.size(), s.size(), f0,
                f);
    CHECK(f == doctest::Approx(f0).epsilon(0.01));
  }
}

TEST_CASE("pitch shift by +2 semitones: frequency times 2^(2/12), duration kept") {
  const double sr = 22050;
  const auto y = sine(440.0, sr, 2.0);
  const auto s = pitch_shift(y, sr, 2.0);
  CHECK(s.size() == y.size());
  const double f = dominant_frequency(s, sr), expected = dominant_frequency(y, sr) * std::pow(2.0, 2.0 / 12);
  std::printf("pitch shift +2: dominant %.2f Hz, expected %.2f Hz\n", f, expected);
  CHECK(f == doctest::Approx(expected).epsilon(0.01));
  const auto down = pitch_shift(y, sr, -3.0);
  CHECK(dominant_frequency(down, sr) == doctest::Approx(440.0 * std::pow(2.0, -3.0 / 12)).epsilon(0.01));
}

TEST_CASE("augmentations: same seed, same output; noise at the SNR asked; shifts and gains") {
  const auto y = sine(300.0, 16000, 1.0);
  ser::Rng a(5), b(5), c(6);
  CHECK(add_noise_relative_to_peak(y, a) == add_noise_relative_to_peak(y, b));
  CHECK(add_noise_relative_to_peak(y, a) != add_noise_relative_to_peak(y, c));
  ser::Rng r1(9), r2(9);
  const auto n1 = add_noise_at_snr(y, 20.0, r1);
  CHECK(n1 == add_noise_at_snr(y, 20.0, r2));
  double s = 0, n = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    s += static_cast<double>(y[i]) * y[i];
    n += static_cast<double>(n1[i] - y[i]) * (n1[i] - y[i]);
  }
  CHECK(10 * std::log10(s / n) == doctest::Approx(20.0).epsilon(0.02));
  const std::vector<float> ramp = {1, 2, 3, 4, 5};
  CHECK(time_shift(ramp, 2) == std::vector<float>{0, 0, 1, 2, 3});
  CHECK(time_shift(ramp, -1, true) == std::vector<float>{2, 3, 4, 5, 1});
  ser::Rng g(1);
  const auto louder = random_gain(ramp, 6.0, 6.0, g);
  CHECK(louder[4] == doctest::Approx(5 * std::pow(10.0, 6.0 / 20)));
  ser::Rng t1(3), t2(3);
  CHECK(random_time_shift(y, 16000, 0.2, t1) == random_time_shift(y, 16000, 0.2, t2));
  // Stretch and shift are deterministic functions of their input.
  CHECK(time_stretch(y, 1.1) == time_stretch(y, 1.1));
}

TEST_CASE("bad input: a clear error naming the file and the problem, never a crash") {
  const fs::path dir = temp_dir();
  auto path = [&](const char* name) { return (dir / name).string(); };
  std::ofstream(path("empty.wav")).close();
  std::ofstream(path("notes.wav")) << "these are my notes, not audio\n";
  const auto tone = sine(440, 16000, 0.5);
  save_wav(path("good.wav"), tone, 16000);
  {
    std::ifstream in(path("good.wav"), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(path("truncated.wav"), std::ios::binary) << bytes.substr(0, 20);
  }
  save_wav(path("silent_header_only.wav"), std::vector<float>{}, 16000);
  {  // A real TESS FLAC cut after 20 KB, and a WAV cut mid-samples: README promises both are refused.
    const std::string flac = ser::read_file(ser::test::data_dir() + "/tess/OAF_angry/OAF_base_angry.flac");
    REQUIRE(flac.size() > 30000);
    std::ofstream(path("cut.flac"), std::ios::binary) << flac.substr(0, 20000);
    std::ifstream in(path("good.wav"), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(path("cut.wav"), std::ios::binary) << bytes.substr(0, bytes.size() - 1000);
  }
  {  // A FLAC STREAMINFO whose total sample count is 0, "unknown" (libsndfile: 2^63 - 1 frames; found by fuzz_audio).
    const unsigned char streaminfo[] = {'f', 'L', 'a', 'C', 0x80, 0, 0, 34, 0x10, 0, 0x10, 0, 0, 1, 0x7f, 0, 0x0c, 0x7e,
                                        0x0b, 0xb8, 0, 0xf0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    std::ofstream(path("unknown_length.flac"), std::ios::binary)
        << std::string(reinterpret_cast<const char*>(streaminfo), sizeof(streaminfo));
  }
  std::vector<float> broken = tone;
  broken[100] = std::nanf("");
  save_wav(path("nan.wav"), broken, 16000, SampleFormat::float32);
  broken[100] = 0.0f;
  broken[200] = INFINITY;
  save_wav(path("inf.wav"), broken, 16000, SampleFormat::float32);

  struct Case {
    const char* file;
    const char* expect;
  };
  for (const Case& c : {Case{"empty.wav", "the file is empty"}, Case{"notes.wav", "not an audio file libsndfile reads"},
                        Case{"truncated.wav", "cannot decode"}, Case{"silent_header_only.wav", "holds no samples"},
                        Case{"nan.wav", "sample 100 is NaN"}, Case{"inf.wav", "sample 200 is infinite"},
                        Case{"missing.wav", "no such file"}, Case{"cut.flac", "truncated or damaged: decoded"},
                        Case{"cut.wav", "truncated: its header announces 1000 more bytes"},
                        Case{"unknown_length.flac", "its header does not give its length"}}) {
    const std::string msg = error_of([&] { load_audio(path(c.file)); });
    INFO(c.file << ": " << msg);
    CHECK(msg.find(path(c.file)) != std::string::npos);
    CHECK(msg.find(c.expect) != std::string::npos);
  }
  LoadOptions past;
  past.offset = 3.0;
  const std::string msg = error_of([&] { load_audio(path("good.wav"), past); });
  CHECK(msg.find("good.wav") != std::string::npos);
  CHECK(msg.find("past the end") != std::string::npos);

  StftOptions uncentred;
  uncentred.center = false;
  uncentred.n_fft = 4096;
  const std::vector<float> short_clip(1000, 0.1f);
  CHECK(error_of([&] { Stft(uncentred).spectrogram(short_clip); }).find("n_fft=4096 is too large") !=
        std::string::npos);
  fs::remove_all(dir);
}

int main(int argc, char** argv) {
  return ser::test::run_requiring(ser::test::data_dir() + "/quirks", "SER_DATA", argc, argv);
}
