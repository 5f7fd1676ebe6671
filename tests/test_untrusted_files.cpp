// Files ser reads back are untrusted input. Each case here was found to
// crash, hang, eat memory or silently mislead ser (issue 14), and is now
// refused with a message that names the file and the problem.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "common/bytes.hpp"
#include "common/framed_file.hpp"
#include "common/input_file.hpp"
#include "common/npy.hpp"
#include "common/rng.hpp"
#include "datasets/fer2013.hpp"
#include "dsp/audio.hpp"
#include "dsp/feature_spec.hpp"
#include "experiments/config.hpp"
#include "experiments/model_input.hpp"
#include "nn/model_file.hpp"
#include "support/npy_bytes.hpp"
#include "support/paths.hpp"
#include "support/tone_corpus.hpp"

namespace fs = std::filesystem;
using namespace ser;

namespace {
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

double seconds_of(const std::function<void()>& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A model file as `serialize_model` lays it out, with whatever the caller puts in it.
std::string model_file(const std::vector<nn::LayerSpec>& layers, const nn::Shape& input,
                       const std::vector<std::string>& labels, const std::string& features, uint32_t tensors) {
  ByteWriter w;
  w.str("crafted");
  w.pod<uint32_t>(static_cast<uint32_t>(input.rank()));
  for (int64_t d : input.dims()) w.pod<int64_t>(d);
  w.pod<uint32_t>(static_cast<uint32_t>(layers.size()));
  for (const auto& l : layers) {
    w.str(l.type());
    w.pod<uint32_t>(static_cast<uint32_t>(l.args().size()));
    for (const auto& [k, v] : l.args()) {
      w.str(k);
      w.str(v);
    }
  }
  w.pod<uint32_t>(static_cast<uint32_t>(labels.size()));
  for (const auto& l : labels) w.str(l);
  w.str(features);
  w.pod<uint32_t>(tensors);
  return frame({"SERMODEL", nn::kModelFormatVersion, "ser model file", "model data"}, w.bytes());
}

std::string npy_with_header(const std::string& dict, size_t data_bytes) {
  return test::npy_bytes(1, dict, nullptr, data_bytes);
}
}  // namespace

TEST_CASE("a FIFO, a device or a folder is refused where a file is meant, at once, by every reader") {
  const fs::path dir = test::fresh_dir("untrusted_fifo");
  const std::string fifo = (dir / "pipe").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // Each would have blocked for ever waiting for a writer (or read /dev/zero for ever).
  for (const std::string& path : {fifo, std::string("/dev/zero"), dir.string()}) {
    CAPTURE(path);
    const double s = seconds_of([&] {
      CHECK(error_of([&] { nn::load_model(path); }).find("not a regular file") != std::string::npos);
      CHECK(error_of([&] { experiments::load_config(path); }).find("not a regular file") != std::string::npos);
      CHECK(error_of([&] { read_npy(path); }).find("not a regular file") != std::string::npos);
      CHECK(error_of([&] { dsp::load_audio(path); }).find("not a regular file") != std::string::npos);
      CHECK(error_of([&] { datasets::load_fer2013_csv(path); }).find("not a regular file") != std::string::npos);
    });
    CHECK(s < 5);
  }
  CHECK(error_of([&] { read_input_file(fifo, "config", 10); }).find("config '" + fifo + "' is a FIFO") == 0);
  fs::remove_all(dir);
}

TEST_CASE("read_input_file caps what it reads") {
  const fs::path dir = test::fresh_dir("untrusted_cap");
  std::ofstream(dir / "big") << std::string(5000, 'x');
  CHECK(read_input_file((dir / "big").string(), "thing", 5000).size() == 5000);
  CHECK(error_of([&] {
          read_input_file((dir / "big").string(), "thing", 4999);
        }).find("is 5000 bytes, more than the 4999 a thing can hold") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("model files: labels must match the outputs") {
  // Found: `ser predict` with a 1000-label file read past the logits.
  Rng rng(1);
  nn::Sequential m({{"dense", {{"units", "3"}}}}, nn::Shape{4}, rng);
  m.labels.assign(1000, "x");
  CHECK(error_of([&] {
          nn::deserialize_model(nn::serialize_model(m), "labels.sermodel");
        }).find("model file 'labels.sermodel' names 1000 class labels, but its model gives 3 outputs") !=
        std::string::npos);
  m.labels = {"a", "b", "c"};
  CHECK(error_of([&] { nn::deserialize_model(nn::serialize_model(m), "ok.sermodel"); }).empty());
}

TEST_CASE("model files: a small file cannot ask for a large model") {
  // Found: a 6 KB file asked for 3 GB.
  const std::string bytes = model_file({{"dense", {{"units", "1000000"}}}}, nn::Shape{800}, {}, "", 2);
  CHECK(bytes.size() < 200);
  std::string error;
  const double s = seconds_of([&] { error = error_of([&] { nn::deserialize_model(bytes, "huge.sermodel"); }); });
  CHECK_MESSAGE(
      error.find("model file 'huge.sermodel': layer 0 (dense): a tensor of shape [1000000, 800] "
                 "(800000000 values) exceeds the 4 bytes the file holds for its tensors") != std::string::npos,
      error);
  CHECK(s < 1);
  // An input shape whose size overflows, and absurd layer arguments, are refused too.
  CHECK(error_of([&] {
          nn::deserialize_model(model_file({{"flatten"}}, nn::Shape{1 << 30, 1 << 30}, {}, "", 0), "wide.sermodel");
        }).find("values per sample") != std::string::npos);
  CHECK(error_of([&] {
          nn::deserialize_model(model_file({{"dense", {{"units", "99999999999"}}}}, nn::Shape{4}, {}, "", 2),
                                "u.sermodel");
        }).find("must be an integer between") != std::string::npos);
}

TEST_CASE("model files: feature settings with unknown values are refused, not used") {
  experiments::ModelInput in;
  in.sets = {dsp::FeatureSpec{}};
  in.layout = ser::experiments::Layout::pooled;
  in.scaling = ser::experiments::Scaling::none;
  const std::string good = in.to_text();
  REQUIRE_NOTHROW(experiments::ModelInput::parse(good, "m.sermodel"));
  // Found: an unknown scaling made every prediction one class.
  std::string bad = good;
  bad.replace(bad.find("\"none\""), 6, "\"banana\"");
  CHECK(error_of([&] { experiments::ModelInput::parse(bad, "m.sermodel"); })
            .find("m.sermodel: the model's scaling must be one of standardize, per_file, minmax_per_frame, none or "
                  "per_speaker, got "
                  "'banana'") != std::string::npos);
  bad = good;
  bad.replace(bad.find("\"pooled\""), 8, "\"spiral\"");
  CHECK(error_of([&] { experiments::ModelInput::parse(bad, "m.sermodel"); }).find("layout must be") !=
        std::string::npos);
  // Enumerations inside a feature recipe: a window kind, pad mode or precision past the known ones.
  for (const std::string field : {"window=hann", "pad_mode=constant", "precision=double", "resample=hq"}) {
    std::string crafted = dsp::FeatureSpec{}.canonical();
    const std::string key = field.substr(0, field.find('='));
    crafted.replace(crafted.find(";" + field), field.size() + 1, ";" + key + "=9");
    CAPTURE(crafted);
    CHECK(error_of([&] { dsp::FeatureSpec::parse(crafted); }).find(key + " must be one of") != std::string::npos);
  }
  // The same in the v1 text of older model files, whose enumerations were numbers.
  CHECK(error_of([&] {
          dsp::FeatureSpec::parse(
              "v1;kind=zcr;sr=0;offset=0;duration=-1;resample=3;n_fft=2048;hop=512;win=2048;"
              "window=7;center=1;pad=0;precision=1");
        }).find("window must be one of") != std::string::npos);
  std::string huge = dsp::FeatureSpec{}.canonical();
  huge.replace(huge.find(";n_fft=2048"), 11, ";n_fft=1e300");
  CHECK(error_of([&] { dsp::FeatureSpec::parse(huge); }).find("n_fft must be an integer, got '1e300'") !=
        std::string::npos);
}

TEST_CASE(".npy: negative dimensions, overflowing shapes, Fortran order and short data are refused or read right") {
  const fs::path dir = test::fresh_dir("untrusted_npy");
  auto read_error = [&](const std::string& bytes) {
    std::ofstream(dir / "x.npy", std::ios::binary) << bytes;
    return error_of([&] { read_npy((dir / "x.npy").string()); });
  };
  // Found writing past the heap.
  CHECK(read_error(npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, -3), }", 24))
            .find("not a count >= 0") != std::string::npos);
  CHECK(read_error(npy_with_header("{'descr': '<f4', 'fortran_order': True, 'shape': (4294967296, 4294967296), }", 24))
            .find("more than 268435456 elements") != std::string::npos);
  CHECK(read_error(npy_with_header("{'descr': '<f4', 'fortran_order': True, 'shape': (1000, 1000), }", 24))
            .find("truncated data") != std::string::npos);
  CHECK(read_error(npy_with_header("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }", 8))
            .find("fortran_order is 'Maybe'") != std::string::npos);
  CHECK(
      read_error(npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': 7, }", 8)).find("is not a tuple") !=
      std::string::npos);
  CHECK(read_error(std::string("\x93NUMPY\x01\x00\xff\xff", 10)).find("truncated header") != std::string::npos);
  // A real Fortran-ordered array (numpy's np.asfortranarray([[1, 2, 3], [4, 5, 6]])) reads in C order.
  std::string f = npy_with_header("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 0);
  for (float v : {1.f, 4.f, 2.f, 5.f, 3.f, 6.f}) f.append(reinterpret_cast<const char*>(&v), 4);
  std::ofstream(dir / "f.npy", std::ios::binary) << f;
  const NpyArray a = read_npy((dir / "f.npy").string());
  CHECK(a.data == std::vector<double>{1, 2, 3, 4, 5, 6});
  fs::remove_all(dir);
}

TEST_CASE("audio headers: a sample rate of 1 Hz or 2^31 Hz, an offset of 1e300, a cut file") {
  const fs::path dir = test::fresh_dir("untrusted_audio");
  const std::vector<float> tone(8000, 0.25f);
  dsp::save_wav((dir / "good.wav").string(), tone, 8000);
  std::string wav = read_file((dir / "good.wav").string());
  // The rate is at byte 24 of a canonical WAV header, the byte rate at 28.
  auto with_rate = [&](uint32_t rate) {
    std::string w = wav;
    std::memcpy(w.data() + 24, &rate, 4);
    const uint32_t bytes_per_second = rate * 2;
    std::memcpy(w.data() + 28, &bytes_per_second, 4);
    return w;
  };
  // Found: 1 Hz cost 2 GB and 46 s to resample; 2^31 Hz tripped the sanitizer inside soxr.
  for (uint32_t rate : {1u, 2147483647u}) {
    std::ofstream(dir / "rate.wav", std::ios::binary) << with_rate(rate);
    dsp::LoadOptions o;
    o.sample_rate = 22050;
    const std::string e = error_of([&] { dsp::load_audio((dir / "rate.wav").string(), o); });
    CAPTURE(rate);
    CHECK_MESSAGE(e.find("Hz, outside the 1000-768000 Hz ser reads") != std::string::npos, e);
  }
  // Found: undefined behaviour converting 1e300 seconds to a sample index.
  dsp::LoadOptions far;
  far.offset = 1e300;
  CHECK(error_of([&] { dsp::load_audio((dir / "good.wav").string(), far); }).find("offset must be between 0 and") !=
        std::string::npos);
  far.offset = 0;
  far.duration = NAN;
  CHECK(error_of([&] { dsp::load_audio((dir / "good.wav").string(), far); }).find("duration must be") !=
        std::string::npos);
  // A WAV cut short: libsndfile would quietly read the part that is there.
  std::ofstream(dir / "cut.wav", std::ios::binary) << wav.substr(0, wav.size() / 2);
  CHECK(error_of([&] {
          dsp::load_audio((dir / "cut.wav").string());
        }).find("truncated: its header announces 8022 more bytes of samples than the file holds") != std::string::npos);
  CHECK(error_of([&] { dsp::probe_audio((dir / "cut.wav").string()); }).find("truncated") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("a feature setup that fails for one file fails the same way for the next, never crashes") {
  // Found: a failed extractor setup left an empty entry behind, and the next file crashed on it.
  dsp::FeatureSpec spec;
  spec.kind = dsp::FeatureKind::mel_db;
  spec.mel.fmin = 5000;  // above the Nyquist frequency of 8 kHz audio (fmax is Nyquist)
  const dsp::FeatureExtractor extract(spec);
  const std::vector<float> y(8000, 0.1f);
  for (int i = 0; i < 2; ++i) CHECK(error_of([&] { extract(y, 8000); }).find("fmin < fmax") != std::string::npos);
  CHECK(extract(y, 16000).rows == 128);  // another rate still works
}

TEST_CASE("feature settings out of range are refused by name with the allowed range") {
  struct Case {
    std::function<void(dsp::FeatureSpec&)> set;
    const char* key;
    const char* expect;
  };
  const std::vector<Case> cases = {
      {[](auto& s) { s.stft.hop_length = -1; }, "hop", "hop must be between 1 and 65536 (0: n_fft/4), got -1"},
      {[](auto& s) { s.stft.win_length = 5000; }, "win_length", "win_length must be between 1 and n_fft (2048"},
      {[](auto& s) { s.stft.win_length = -1; }, "win_length", "got -1"},
      {[](auto& s) { s.stft.n_fft = 1000000000; }, "n_fft", "n_fft must be between 2 and 65536, got 1000000000"},
      {[](auto& s) { s.load.sample_rate = 1; }, "sample_rate",
       "between 1000 and 768000 Hz (0: the file's own rate), got 1"},
      {[](auto& s) { s.load.offset = 1e300; }, "offset", "offset must be between 0 and 1000000 seconds"},
      {[](auto& s) { s.db.top_db = NAN; }, "top_db", "top_db must be"},
      {[](auto& s) { s.mel.n_mels = 100000; }, "n_mels", "n_mels must be between 1 and 1024"},
  };
  for (const Case& c : cases) {
    dsp::FeatureSpec s;
    c.set(s);
    try {
      s.validate();
      FAIL("accepted: " << c.key);
    } catch (const SettingError& e) {
      CHECK(e.key() == c.key);
      CHECK_MESSAGE(std::string(e.what()).find(c.expect) != std::string::npos, e.what());
    }
  }
}

TEST_CASE("images: what fuzzing found in the old decoder is refused with a reason; real faces decode") {
  // stb_image 2.27 wrote past its Huffman tables on these JPEGs and overflowed on the PGM header
  // (rebuilt by hand from what fuzzing found: no FER2013 bytes).
  const fs::path found = fs::path(SER_CONFIG_DIR) / ".." / "tests" / "fuzz" / "regressions" / "image";
  int refused = 0;
  for (const auto& e : fs::directory_iterator(found)) {
    uint8_t pixels[48 * 48];
    const auto reason = datasets::decode_fer2013_image(read_file(e.path().string()), pixels);
    CAPTURE(e.path());
    REQUIRE(reason.has_value());
    CHECK((reason->find("unreadable JPEG") == 0 || *reason == "not a JPEG or PNG image"));
    ++refused;
  }
  CHECK(refused == 4);
  uint8_t pixels[48 * 48];
  const std::string face = test::data_dir() + "/fer2013_small/test/happy";
  const auto first = *fs::directory_iterator(face);
  CHECK_FALSE(datasets::decode_fer2013_image(read_file(first.path().string()), pixels).has_value());
  CHECK(datasets::decode_fer2013_image(std::string_view("GIF89a"), pixels) == "not a JPEG or PNG image");
}
