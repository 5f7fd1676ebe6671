// What a model file keeps about its input: feature recipes that survive a
// text round trip exactly, the layouts (including the Kaggle hstack order),
// and scaling statistics that are refused when they do not fit.
#include <doctest/doctest.h>

#include "datasets/augmentation.hpp"
#include "dsp/feature_spec.hpp"
#include "dsp/functionals.hpp"

#include <cmath>
#include "experiments/model_input.hpp"

using ser::dsp::FeatureSpec;
using ser::experiments::ModelInput;

TEST_CASE("FeatureSpec::parse inverts canonical() for every kind and changed settings") {
  for (const auto& info : ser::dsp::feature_kinds()) {
    FeatureSpec s;
    s.kind = info.kind;
    s.load.sample_rate = 16000;
    s.load.offset = 0.6;
    s.load.duration = 2.5;
    s.load.quality = ser::dsp::ResampleQuality::very_high;
    s.stft.n_fft = 1024;
    s.stft.hop_length = 160;
    s.stft.window = ser::dsp::WindowKind::hamming;
    s.stft.center = false;
    s.stft.pad_mode = ser::dsp::PadMode::reflect;
    s.stft.precision = ser::dsp::Precision::single;
    s.mel.n_mels = 64;
    s.mel.fmin = 30.25;
    s.mel.fmax = 7999.5;
    s.mel.htk = true;
    s.mel.slaney_norm = false;
    s.cepstrum.n_mfcc = 13;
    s.cepstrum.lifter = 22;
    s.cepstrum.dct_ortho = false;
    s.db.top_db = -1;
    s.db.ref = ser::dsp::DbReference::min;
    s.db.ref_value = 0.1;
    const FeatureSpec back = FeatureSpec::parse(s.canonical());
    CHECK_MESSAGE(back.canonical() == s.canonical(), info.name);
    CHECK(back.hash() == s.hash());
    // Every setting the kind's groups register is in the text, so none can be lost.
    FeatureSpec copy = s;
    const ser::Settings settings = copy.settings(info.groups);
    for (const auto& setting : settings.all())
      CHECK_MESSAGE(s.canonical().find(";" + setting.name + "=") != std::string::npos, setting.name);
  }
  CHECK_THROWS_WITH(FeatureSpec::parse("v2;kind=mfcc;sample_rate=22050"), doctest::Contains("lack 'offset'"));
  CHECK_THROWS_WITH(FeatureSpec::parse("kind=mfcc"), doctest::Contains("not version v2"));
  CHECK_THROWS_WITH(FeatureSpec::parse("v2;kind=mfc"), doctest::Contains("did you mean 'mfcc'"));
  FeatureSpec s;
  std::string text = s.canonical();
  CHECK_THROWS_WITH(FeatureSpec::parse(text + ";fmi=3"), doctest::Contains("'fmi' is not a setting of mfcc"));
  text.replace(text.find("n_fft=2048"), 10, "n_fft=20x8");
  CHECK_THROWS_WITH(FeatureSpec::parse(text), doctest::Contains("n_fft must be an integer, got '20x8'"));
}

// Model files written before the settings were registered carry v1 text: it
// still reads, as the same feature.
TEST_CASE("FeatureSpec::parse reads the v1 text of older model files") {
  const FeatureSpec mfcc = FeatureSpec::parse(
      "v1;kind=mfcc;sr=22050;offset=0.5;duration=2.5;resample=3;n_fft=2048;hop=512;win=2048;window=0;center=1;"
      "pad=0;precision=1;n_mels=128;fmin=0;fmax=-1;htk=0;slaney=1;db_ref=0;ref=1;amin=1e-10;top_db=80;n_mfcc=40");
  FeatureSpec expect;
  expect.load.sample_rate = 22050;
  expect.load.offset = 0.5;
  expect.load.duration = 2.5;
  expect.stft.hop_length = 512;
  expect.stft.win_length = 2048;
  expect.cepstrum.n_mfcc = 40;
  CHECK(mfcc.canonical() == expect.canonical());
  const FeatureSpec amp = FeatureSpec::parse(
      "v1;kind=mel_amp_db;sr=0;offset=0;duration=-1;resample=3;n_fft=1024;hop=256;win=1024;window=0;center=0;pad=2;"
      "precision=0;n_mels=64;fmin=0;fmax=-1;htk=1;slaney=0;adb_ref=2;aref=1;aamin=1.0000000000000001e-05;atop_db=-1");
  CHECK(amp.kind == ser::dsp::FeatureKind::mel_amp_db);
  CHECK(amp.stft.n_fft == 1024);
  CHECK(!amp.stft.center);
  CHECK(amp.stft.pad_mode == ser::dsp::PadMode::edge);
  CHECK(amp.stft.precision == ser::dsp::Precision::single);
  CHECK(amp.mel.htk);
  CHECK(!amp.mel.slaney_norm);
  CHECK(amp.db.ref == ser::dsp::DbReference::min);
  CHECK(amp.db.top_db == -1);
}

namespace {
ser::dsp::Matrix matrix(int64_t rows, int64_t cols, double base) {
  ser::dsp::Matrix m(rows, cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) m(r, c) = base + 10 * r + c;
  return m;
}
// Two sets, as the published ZCR + RMS + MFCC pipeline stacks them: the
// zero-crossing rate (one row) and `n_mfcc` MFCCs, `frames` frames.
ModelInput zcr_and_mfcc(int n_mfcc, int frames) {
  ModelInput in;
  FeatureSpec zcr, mfcc;
  zcr.kind = ser::dsp::FeatureKind::zcr;
  mfcc.cepstrum.n_mfcc = n_mfcc;
  in.sets = {zcr, mfcc};
  in.frames = frames;
  return in;
}
}  // namespace

TEST_CASE("layouts: flat interleaves the sets per frame, stacked puts each set whole (np.hstack)") {
  ModelInput in = zcr_and_mfcc(2, 3);
  // zcr [1 x 4 frames] is cut to 3; mfcc [2 x 2] is padded with zeros.
  const std::vector<ser::dsp::Matrix> f = {matrix(1, 4, 100), matrix(2, 2, 200)};
  in.layout = ser::experiments::Layout::flat;
  CHECK(in.sample_shape() == ser::nn::Shape{1, 9});
  CHECK(in.assemble(f) == std::vector<float>{100, 200, 210, 101, 201, 211, 102, 0, 0});
  in.layout = ser::experiments::Layout::stacked;
  CHECK(in.assemble(f) == std::vector<float>{100, 101, 102, 200, 210, 201, 211, 0, 0});
  in.layout = ser::experiments::Layout::image;
  CHECK(in.sample_shape() == ser::nn::Shape{1, 3, 3});
  CHECK(in.assemble(f) == std::vector<float>{100, 101, 102, 200, 201, 0, 210, 211, 0});
  in.layout = ser::experiments::Layout::sequence;
  CHECK(in.sample_shape() == ser::nn::Shape{3, 3});
  in.layout = ser::experiments::Layout::pooled;
  in.frames = 0;  // pooled keeps every frame (the shortest set's)
  CHECK(in.sample_shape() == ser::nn::Shape{6});
  const auto pooled = in.assemble(f);
  CHECK(pooled[0] == doctest::Approx(100.5));  // mean of zcr's first two frames
  CHECK(pooled[1] == doctest::Approx(200.5));
}

TEST_CASE("scaling statistics travel in the text and are checked against the input size") {
  ModelInput in;
  FeatureSpec mfcc;
  mfcc.cepstrum.n_mfcc = 2;
  in.sets = {mfcc};
  in.frames = 2;
  std::vector<float> rows = {1, 2, 3, 4, 3, 6, 9, 12};  // two samples of 4 values
  in.fit(rows);
  const ModelInput back = ModelInput::parse(in.to_text(), "m.sermodel");
  CHECK(back.to_text() == in.to_text());
  in.scale_rows(rows);
  std::vector<float> again = {1, 2, 3, 4, 3, 6, 9, 12};
  back.scale_rows(again);
  CHECK(again == rows);
  CHECK(rows[0] == doctest::Approx(-1.0));
  CHECK(rows[4] == doctest::Approx(1.0));
  in.frames = 3;  // statistics for 4 values, an input of 6
  CHECK_THROWS_WITH(ModelInput::parse(in.to_text(), "m.sermodel"),
                    doctest::Contains("m.sermodel: the model's standardisation statistics have 4 values for an input of 6"));
  CHECK_THROWS_WITH(ModelInput::parse("frames=3", "old.sermodel"),
                    doctest::Contains("old.sermodel: the model's feature settings cannot be read"));
}

TEST_CASE("per-frame min-max scaling maps every frame of the image to [0, 1]") {
  ModelInput in;
  FeatureSpec mel;
  mel.kind = ser::dsp::FeatureKind::mel_amp_db;
  mel.mel.n_mels = 2;
  in.sets = {mel};
  in.frames = 2;
  in.layout = ser::experiments::Layout::image;
  in.scaling = ser::experiments::Scaling::minmax_per_frame;
  std::vector<float> x = {-80, 5, -20, 5};  // [F=2, T=2]: frame 0 = (-80, -20), frame 1 = (5, 5)
  in.scale_rows(x);
  CHECK(x == std::vector<float>{0, 0, 1, 0});
}

TEST_CASE("augmentation recipes: text round trip, identity, deterministic per file") {
  ser::datasets::AugmentRecipe r;
  CHECK(r.identity());
  r.pitch = 0.7;
  r.noise = 0.035;
  const auto back = ser::datasets::AugmentRecipe::parse(r.canonical() + ";copy=2;seed=9");
  CHECK(back.canonical() == r.canonical());
  ser::datasets::Corpus c;
  c.labels = {"a"};
  c.samples.push_back({});
  c.samples[0].path = "/x/TESS/OAF_back_angry.wav";
  c.samples[0].label = "a";
  const auto aug = ser::datasets::with_augmented_copies(c, {r, ser::datasets::AugmentRecipe{.noise = 0.01}}, 9);
  REQUIRE(aug.samples.size() == 3);
  CHECK(aug.samples[1].source == c.samples[0].path);
  CHECK(aug.samples[1].augmentation != aug.samples[2].augmentation);
  std::vector<float> y(22050);
  for (size_t i = 0; i < y.size(); ++i) y[i] = 0.3f * std::sin(0.05f * static_cast<float>(i));
  ser::datasets::Sample moved = aug.samples[2];
  moved.path = "/elsewhere/TESS/OAF_back_angry.wav";  // the same file in another place: the same copy
  CHECK(ser::datasets::augment_sample(aug.samples[2], y, 22050) == ser::datasets::augment_sample(moved, y, 22050));
  CHECK(ser::datasets::augment_sample(aug.samples[2], y, 22050) != y);
}

TEST_CASE("per-file scaling: every feature of every file to zero mean and unit deviation over its frames") {
  using ser::experiments::Layout;
  for (const Layout layout : {Layout::flat, Layout::stacked, Layout::image, Layout::sequence}) {
    ModelInput in = zcr_and_mfcc(3, 5);
    in.layout = layout;
    in.scaling = ser::experiments::Scaling::per_file;
    const std::vector<ser::dsp::Matrix> f = {matrix(1, 5, 0), matrix(3, 5, 50)};
    std::vector<float> x = in.assemble(f), second = in.assemble({matrix(1, 5, 7), matrix(3, 5, -20)});
    x.insert(x.end(), second.begin(), second.end());  // two files
    in.scale_rows(x);
    // matrix() rows rise by one per frame: normalised, every row is the same
    // ramp whatever its base, so both files equal a third with base 100.
    ModelInput plain = in;
    plain.scaling = ser::experiments::Scaling::none;
    std::vector<float> y = plain.assemble({matrix(1, 5, 100), matrix(3, 5, 100)});
    in.scale_rows(y);
    for (size_t i = 0; i < y.size(); ++i) {
      CHECK_MESSAGE(x[i] == doctest::Approx(y[i]).epsilon(1e-6), layout);
      CHECK_MESSAGE(x[y.size() + i] == doctest::Approx(y[i]).epsilon(1e-6), layout);
    }
    double sum = 0, sq = 0;
    for (float v : y) {
      sum += v;
      sq += v * v;
    }
    CHECK(sum == doctest::Approx(0.0).scale(1.0));
    CHECK(sq / static_cast<double>(y.size()) == doctest::Approx(1.0));
  }
}

TEST_CASE("functionals: known answers per row, pyin's f0 over voiced frames with voicing statistics, whole clips as they are") {
  using ser::dsp::Matrix;
  const std::vector<double> ramp = {1, 2, 3, 4, 5};
  // numpy: mean 3, std sqrt(2), percentile([1..5], 20/50/80) = 1.8, 3, 4.2; slope 1 per frame.
  const std::vector<float> f = ser::dsp::row_functionals(ramp);
  REQUIRE(f.size() == 7);
  CHECK(f[0] == doctest::Approx(3.0));
  CHECK(f[1] == doctest::Approx(std::sqrt(2.0)));
  CHECK(f[2] == doctest::Approx(1.8));
  CHECK(f[3] == doctest::Approx(3.0));
  CHECK(f[4] == doctest::Approx(4.2));
  CHECK(f[5] == doctest::Approx(2.4));
  CHECK(f[6] == doctest::Approx(1.0));

  FeatureSpec pyin;
  pyin.kind = ser::dsp::FeatureKind::pyin;
  Matrix track(3, 8);  // f0, voiced, probability over 8 frames: voiced 2-4 and 6
  const double f0[8] = {0, 0, 100, 110, 120, 0, 200, 0};
  for (int64_t t = 0; t < 8; ++t) {
    track(0, t) = f0[t];
    track(1, t) = f0[t] > 0 ? 1 : 0;
    track(2, t) = 0.5;
  }
  const std::vector<float> p = ser::dsp::functionals(pyin, track);
  REQUIRE(static_cast<int64_t>(p.size()) == ser::dsp::functionals_size(pyin));
  REQUIRE(p.size() == 3 * 7 + 3);
  CHECK(p[0] == doctest::Approx(132.5));  // mean f0 of the 4 voiced frames, zeros left out
  CHECK(p[7] == doctest::Approx(0.5));    // voiced fraction
  CHECK(p[21] == doctest::Approx(25.0));  // 2 voiced stretches in 8 frames
  CHECK(p[22] == doctest::Approx(2.0));   // voiced stretches of 3 and 1 frames
  CHECK(p[23] == doctest::Approx(4.0 / 3.0));  // unvoiced stretches of 2, 1 and 1

  FeatureSpec voice;
  voice.kind = ser::dsp::FeatureKind::voice;
  Matrix v(3, 1);
  v(0, 0) = 0.01, v(1, 0) = 0.05, v(2, 0) = 15;
  CHECK(ser::dsp::functionals(voice, v) == std::vector<float>{0.01f, 0.05f, 15.0f});

  ModelInput in;
  FeatureSpec mfcc;
  mfcc.cepstrum.n_mfcc = 13;
  in.sets = {mfcc, pyin, voice};
  in.layout = ser::experiments::Layout::functionals;
  in.frames = 0;
  in.validate();
  CHECK(in.sample_shape().numel() == 13 * 7 + 24 + 3);
  Matrix m(13, 8);
  CHECK(in.assemble({m, track, v}).size() == static_cast<size_t>(13 * 7 + 24 + 3));
  in.frames = 100;
  CHECK_THROWS_WITH(in.validate(), doctest::Contains("leave frames at 0"));
  in.frames = 0;
  in.layout = ser::experiments::Layout::pooled;
  CHECK_THROWS_WITH(in.validate(), doctest::Contains("needs layout: functionals"));
}

TEST_CASE("per-speaker scaling: each speaker's features to zero mean and unit deviation over its own recordings") {
  ModelInput in;
  FeatureSpec zcr;
  zcr.kind = ser::dsp::FeatureKind::zcr;  // one row
  in.sets = {zcr};
  in.layout = ser::experiments::Layout::sequence;
  in.frames = 2;
  in.scaling = ser::experiments::Scaling::per_speaker;
  in.validate();
  // Four rows of [2 frames x 1 feature]: speaker a at 10 +- 1, speaker b at 100 +- 5, and
  // an augmented copy of a's first row (counted out of the statistics, scaled like the rest).
  std::vector<float> x = {9, 11, 9, 11, 95, 105, 50, 50};
  const std::vector<std::string> speakers = {"a", "a", "b", "a"};
  in.scale_rows(x, speakers, {true, true, true, false});
  CHECK(x[0] == doctest::Approx(-1.0));
  CHECK(x[1] == doctest::Approx(1.0));
  CHECK(x[4] == doctest::Approx(-1.0));  // b alone: its own frames
  CHECK(x[5] == doctest::Approx(1.0));
  CHECK(x[6] == doctest::Approx(40.0));  // (50 - 10) / 1 with a's statistics
  std::vector<float> y(8, 1.0f);
  CHECK_THROWS_AS(in.scale_rows(y), std::logic_error);  // the speakers are required
}
