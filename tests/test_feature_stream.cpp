// dsp/feature_stream: a signal pushed in pieces of any size gives, for every
// feature kind, exactly the bits of the batch features (FeatureExtractor,
// which test_dsp_librosa holds to librosa) over the whole clip; pieces of
// other sizes give the same bits again; frames are there as soon as their
// samples are; forgotten frames are refused.
#include <doctest/doctest.h>

#include <random>

#include "dsp/audio.hpp"
#include "dsp/feature_spec.hpp"
#include "dsp/feature_stream.hpp"
#include "dsp/resample.hpp"
#include "support/main_requiring.hpp"
#include "support/paths.hpp"

using namespace ser::dsp;

namespace {

std::vector<float> clip(const std::string& relative) { return load_audio(ser::test::data_dir() + relative).samples; }

// Pushes y in pieces of random sizes from 1 to max_piece samples (seeded).
FeatureStream streamed(const FeatureSpec& spec, int sr, const std::vector<float>& y, size_t max_piece, unsigned seed) {
  FeatureStream s(spec, sr);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<size_t> piece(1, max_piece);
  for (size_t at = 0; at < y.size();) {
    const size_t n = std::min(piece(rng), y.size() - at);
    s.push(std::span<const float>(y).subspan(at, n));
    at += n;
  }
  s.finish();
  return s;
}

std::vector<FeatureSpec> specs() {
  std::vector<FeatureSpec> out;
  for (const auto& k : feature_kinds()) {
    if (k.columns == FrameColumns::whole_clip) continue;  // refused: see below
    FeatureSpec s;
    s.kind = k.kind;
    out.push_back(s);
  }
  FeatureSpec reflect;  // the pre-0.9 padding, another hop and the single-precision FFT
  reflect.stft.pad_mode = PadMode::reflect;
  reflect.stft.hop_length = 256;
  reflect.stft.precision = Precision::single;
  out.push_back(reflect);
  FeatureSpec htk;  // 25 ms / 10 ms HTK-style frames at 16 kHz, uncentred
  htk.kind = FeatureKind::mfcc;
  htk.stft.n_fft = 400;
  htk.stft.hop_length = 160;
  htk.stft.center = false;
  htk.mel.n_mels = 40;
  htk.mel.htk = true;
  out.push_back(htk);
  FeatureSpec rms_reflect;
  rms_reflect.kind = FeatureKind::rms;
  rms_reflect.stft.pad_mode = PadMode::reflect;
  out.push_back(rms_reflect);
  return out;
}

}  // namespace

TEST_CASE("a kind that summarises a whole clip (voice quality) is refused by a stream, with the reason") {
  FeatureSpec voice;
  voice.kind = FeatureKind::voice;
  CHECK_THROWS_WITH(FeatureStream(voice, 16000), doctest::Contains("summarises a whole clip"));
}

TEST_CASE("every kind: pieces of any size give the batch features' exact bits over the whole clip") {
  const std::vector<float> y = clip("/tess/OAF_angry/OAF_base_angry.flac");
  const int sr = 24414;
  for (const FeatureSpec& spec : specs()) {
    CAPTURE(spec.canonical());
    const Matrix batch = FeatureExtractor(spec)(y, sr);
    for (const auto& piece_seed : {std::pair<size_t, unsigned>{1, 1}, {700, 2}, {8192, 3}, {y.size(), 4}}) {
      const size_t max_piece = piece_seed.first;  // not structured bindings: clang 14's lambdas (CAPTURE)
      const unsigned seed = piece_seed.second;    // cannot capture those
      if (max_piece == 1 && spec.kind != FeatureKind::mfcc) continue;  // sample by sample: once is enough
      CAPTURE(max_piece);
      const FeatureStream s = streamed(spec, sr, y, max_piece, seed);
      REQUIRE(s.frames() == batch.cols);
      const Matrix w = s.window(0, s.frames());
      REQUIRE(w.rows == batch.rows);
      CHECK(w.data == batch.data);
    }
  }
}

TEST_CASE("frames arrive as their samples do; a window mid-stream is final; forgotten frames are refused") {
  const std::vector<float> y = clip("/ravdess/Actor_01/03-01-01-01-01-01-01.flac");
  FeatureSpec spec;  // mfcc, n_fft 2048, hop 512, centred
  FeatureStream s(spec, 48000);
  s.push(std::span<const float>(y).first(1024));
  CHECK(s.frames() == 0);  // frame 0 covers samples -1024..1023: one short
  s.push(std::span<const float>(y).subspan(1024, 1));
  CHECK(s.frames() == 1);
  s.push(std::span<const float>(y).subspan(1025, 48000 - 1025));
  CHECK(s.frames() == (48000 - 1024) / 512 + 1);
  const Matrix early = s.window(10, 50);
  s.push(std::span<const float>(y).subspan(48000));
  s.finish();
  CHECK(s.window(10, 50).data == early.data);
  CHECK(s.frame_at(512 * 37 + 200) == 37);
  CHECK(s.frame_at(512 * 37 + 300) == 38);
  s.forget_before(20);
  CHECK_THROWS_AS(s.window(19, 5), std::out_of_range);
  CHECK_NOTHROW(s.window(20, 5));
  CHECK_THROWS_AS(s.window(s.frames() - 2, 5), std::out_of_range);
  CHECK_THROWS_AS(s.push(std::span<const float>(y).first(10)), std::logic_error);
  FeatureStream empty(spec, 48000);
  CHECK_THROWS_AS(empty.finish(), std::invalid_argument);
}

TEST_CASE("a stream resampled in pieces is resample()'s output, bit for bit, at every quality") {
  const std::vector<float> y = clip("/tess/YAF_sad/YAF_bone_sad.flac");
  for (const auto& [from, to, quality] : {std::tuple{24414.0, 16000.0, ResampleQuality::high},
                                          std::tuple{24414.0, 22050.0, ResampleQuality::high},
                                          std::tuple{24414.0, 48000.0, ResampleQuality::very_high},
                                          std::tuple{24414.0, 8000.0, ResampleQuality::quick}}) {
    const double target_rate = to;  // clang 14's lambdas (CAPTURE) cannot capture structured bindings
    CAPTURE(target_rate);
    const std::vector<float> whole = resample(y, from, to, quality);
    for (const size_t max_piece : {size_t{1}, size_t{333}, size_t{5000}}) {
      StreamResampler r(from, to, quality);
      std::vector<float> out;
      std::mt19937 rng(static_cast<unsigned>(max_piece));
      std::uniform_int_distribution<size_t> piece(1, max_piece);
      for (size_t at = 0; at < y.size();) {
        const size_t n = std::min(piece(rng), y.size() - at);
        r.push(std::span<const float>(y).subspan(at, n), out);
        at += n;
      }
      r.finish(out);
      CHECK(out == whole);
    }
  }
}

int main(int argc, char** argv) { return ser::test::run_requiring(ser::test::data_dir(), "SER_DATA", argc, argv); }
