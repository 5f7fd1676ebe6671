// Every feature of every file in ../shared/reference/librosa (librosa 0.10.1,
// float64) against ours. Tolerances from the issue: magnitudes and powers
// within 1e-4 of the array's largest value; dB values and MFCCs within
// 1e-3 dB; chroma, ZCR and RMS within 1e-4 relative. Prints one line per
// file and feature with the error found.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include "common/npy.hpp"
#include "dsp/audio.hpp"
#include "dsp/chroma.hpp"
#include "dsp/delta.hpp"
#include "dsp/feature_spec.hpp"
#include "dsp/framewise.hpp"
#include "dsp/mfcc.hpp"
#include "support/main_requiring.hpp"
#include "support/paths.hpp"

using namespace ser::dsp;
namespace fs = std::filesystem;

namespace {
std::string librosa_dir() { return ser::test::reference_dir() + "/librosa"; }
const char* kFiles[] = {"OAF_base_angry", "YAF_bone_sad", "03-01-02-01-01-02-01", "03-01-05-02-01-02-07"};
const std::map<std::string, int> kRates = {{"OAF_base_angry", 24414},
                                           {"YAF_bone_sad", 24414},
                                           {"03-01-02-01-01-02-01", 48000},
                                           {"03-01-05-02-01-02-07", 48000}};

enum class Scale { peak, absolute_db };

// Largest |ours - ref|, divided by max|ref| (Scale::peak) or not (dB).
double compare(const std::string& file, const std::string& key, const Matrix& ours, Scale scale, double tolerance) {
  const ser::NpyArray ref = ser::read_npy(librosa_dir() + "/" + file + "/" + key + ".npy");
  INFO(file << "/" << key);
  REQUIRE(ref.shape.size() == 2);
  REQUIRE(ref.shape[0] == ours.rows);
  REQUIRE(ref.shape[1] == ours.cols);
  double peak = 0, err = 0;
  for (double v : ref.data) peak = std::max(peak, std::abs(v));
  for (size_t i = 0; i < ref.data.size(); ++i) err = std::max(err, std::abs(ours.data[i] - ref.data[i]));
  const double e = scale == Scale::peak ? err / peak : err;
  std::printf("librosa %-22s %-15s %s %.2e\n", file.c_str(), key.c_str(),
              scale == Scale::peak ? "max rel err" : "max dB err ", e);
  CHECK(e <= tolerance);
  return e;
}

std::vector<float> reference_signal(const std::string& file) {
  return ser::read_npy(librosa_dir() + "/" + file + "/y.npy").as_float();
}
}  // namespace

TEST_CASE("decoding: our samples are exactly the reference's y (libsndfile, channels averaged)") {
  for (const char* file : kFiles) {
    std::string path;
    for (const auto& e : fs::recursive_directory_iterator(ser::test::data_dir()))
      if (e.path().filename() == std::string(file) + ".flac") path = e.path().string();
    if (path.empty()) {
      MESSAGE("source of " << file << " not found under " << ser::test::data_dir() << "; decoding not compared");
      continue;
    }
    const Audio a = load_audio(path);
    const auto y = reference_signal(file);
    INFO(file);
    CHECK(a.sample_rate == kRates.at(file));
    REQUIRE(a.samples.size() == y.size());
    size_t mismatches = 0;
    for (size_t i = 0; i < y.size(); ++i) mismatches += a.samples[i] != y[i];
    CHECK(mismatches == 0);
  }
}

TEST_CASE("spectrogram, mel, dB, MFCC, deltas, ZCR, RMS, chroma") {
  for (const char* file : kFiles) {
    const auto y = reference_signal(file);
    const double sr = kRates.at(file);
    const Stft stft(StftOptions{});
    const Matrix mag = stft.spectrogram(y, 1.0);
    compare(file, "stft_mag", mag, Scale::peak, 1e-4);

    const Matrix mel = melspectrogram(y, sr, StftOptions{}, MelOptions{});
    compare(file, "mel128_power", mel, Scale::peak, 1e-4);
    compare(file, "mel128_db", power_to_db(mel), Scale::absolute_db, 1e-3);

    MfccOptions o20;
    o20.cepstrum.n_mfcc = 20;
    const Matrix m20 = mfcc(y, sr, o20);
    compare(file, "mfcc20", m20, Scale::absolute_db, 1e-3);
    MfccOptions o40;
    o40.cepstrum.n_mfcc = 40;
    const Matrix m40 = mfcc(y, sr, o40);
    compare(file, "mfcc40", m40, Scale::absolute_db, 1e-3);
    compare(file, "mfcc40_delta", delta(m40, 9, 1), Scale::absolute_db, 1e-3);
    MfccOptions reflect = o40;
    reflect.stft.pad_mode = PadMode::reflect;
    compare(file, "mfcc40_reflect", mfcc(y, sr, reflect), Scale::absolute_db, 1e-3);

    MfccOptions htk;
    htk.cepstrum.n_mfcc = 13;
    htk.mel.n_mels = 40;
    htk.mel.htk = true;
    htk.cepstrum.dct_ortho = false;  // mfcc(norm=None) is the DCT's normalisation
    htk.stft.n_fft = 512;
    htk.stft.hop_length = 160;
    htk.stft.win_length = 400;
    compare(file, "mfcc13_htk", mfcc(y, sr, htk), Scale::absolute_db, 1e-3);

    compare(file, "zcr", zero_crossing_rate(y), Scale::peak, 1e-4);
    compare(file, "rms", rms(y), Scale::peak, 1e-4);
    compare(file, "chroma", chroma_stft(y, sr), Scale::peak, 1e-4);

    // deepeshdm's pipeline: amplitude_to_db(mel of |STFT|, ref=np.min)
    DbOptions minref = amplitude_db_defaults();
    minref.ref = DbReference::min;
    const Matrix mel_of_mag = apply_filterbank(mel_filterbank(sr, 2048, MelOptions{}), mag);
    compare(file, "mel_db_minref", amplitude_to_db(mel_of_mag, minref), Scale::absolute_db, 1e-3);
    FeatureSpec amp;
    amp.kind = FeatureKind::mel_amp_db;
    amp.db.ref = DbReference::min;
    compare(file, "mel_db_minref", FeatureExtractor(amp)(y, static_cast<int>(sr)), Scale::absolute_db, 1e-3);
  }
}

TEST_CASE("single-precision FFT (as librosa on float32 audio) stays within the issue's tolerances") {
  for (const char* file : kFiles) {
    const auto y = reference_signal(file);
    const double sr = kRates.at(file);
    StftOptions single;
    single.precision = Precision::single;
    compare(file, "stft_mag", Stft(single).spectrogram(y, 1.0), Scale::peak, 1e-4);
    compare(file, "mel128_power", MelSpectrogram(sr, single, MelOptions{})(y), Scale::peak, 1e-4);
    for (int n : {20, 40}) {
      MfccOptions o;
      o.cepstrum.n_mfcc = n;
      o.stft = single;
      compare(file, "mfcc" + std::to_string(n), MfccExtractor(sr, o)(y), Scale::absolute_db, 1e-3);
    }
  }
}

int main(int argc, char** argv) {
  return ser::test::run_requiring(librosa_dir() + "/manifest.json", "SER_REFERENCE", argc, argv);
}
