// The pictures ser draws for people: `ser data --plot` (files per class and
// split side) and `ser plot` (waveform, mel spectrogram, MFCCs). Each PNG is
// decoded and measured: the bars' areas follow the counts, and the audio
// plot's panels are bright where the speech is and dark in its silence.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>

#include "datasets/audio_corpora.hpp"
#include "datasets/fer2013.hpp"
#include "datasets/split.hpp"
#include "dsp/audio.hpp"
#include "dsp/feature_spec.hpp"
#include "experiments/audio_plot.hpp"
#include "experiments/class_chart.hpp"
#include "experiments/plot_canvas.hpp"
#include "support/main_requiring.hpp"
#include "support/paths.hpp"

namespace fs = std::filesystem;
using namespace ser::experiments;

namespace {
fs::path temp(const std::string& name) {
  return fs::temp_directory_path() / ("ser_test_plots_" + std::to_string(::getpid()) + "_" + name);
}

int64_t pixels_of(const cv::Mat& img, cv::Scalar bgr) {
  int64_t n = 0;
  for (int y = 0; y < img.rows; ++y)
    for (int x = 0; x < img.cols; ++x) {
      const auto& p = img.at<cv::Vec3b>(y, x);
      n += p[0] == bgr[0] && p[1] == bgr[1] && p[2] == bgr[2];
    }
  return n;
}
}  // namespace

TEST_CASE("class chart: one bar per class and side, its area in proportion to the files") {
  const auto corpus = ser::datasets::load_ravdess(ser::test::data_dir() + "/ravdess", {false, true, 0.1, false});
  const auto split = ser::datasets::group_split(corpus, ser::datasets::GroupBy::speaker, {0.625, 0.125, 0.25}, 42);
  const fs::path png = temp("classes.png");
  write_class_chart(png.string(), corpus, &split);
  const cv::Mat img = cv::imread(png.string());
  REQUIRE(!img.empty());
  // 10, 2 and 4 actors: the sides' bars (drawn in palette colours 0, 1, 2) cover 10 : 2 : 4.
  const double train = static_cast<double>(pixels_of(img, plot::colour(0)));
  const double validation = static_cast<double>(pixels_of(img, plot::colour(1)));
  const double test = static_cast<double>(pixels_of(img, plot::colour(2)));
  CHECK(train / validation == doctest::Approx(600.0 / 120).epsilon(0.08));  // legend swatches and rounding
  CHECK(train / test == doctest::Approx(600.0 / 240).epsilon(0.08));
  CHECK_THROWS_WITH(write_class_chart(temp("classes.jpg").string(), corpus, &split),
                    doctest::Contains("give a name ending in .png"));
  fs::remove(png);
}

// TESS's 14 speaker_emotion classes have names wider than their one bar: the
// columns widen so that each name stands apart, read as separate runs of ink
// along the names' row.
TEST_CASE("class chart: long class names do not run into each other") {
  ser::datasets::AudioCorpusOptions o;
  o.tess_speaker_emotion = true;
  o.probe = false;
  const auto corpus = ser::datasets::load_tess(ser::test::data_dir() + "/tess", o);
  REQUIRE(corpus.labels.size() == 14);
  const fs::path png = temp("tess.png");
  write_class_chart(png.string(), corpus, nullptr);
  const cv::Mat img = cv::imread(png.string());
  REQUIRE(!img.empty());
  // The row under the axis (at y 370), right of the y axis's ticks.
  const cv::Mat names = img(cv::Range(376, 398), cv::Range(70, img.cols));
  int runs = 0, blank = 1000;
  for (int x = 0; x < names.cols; ++x) {
    bool ink = false;
    for (int y = 0; y < names.rows; ++y) ink |= names.at<cv::Vec3b>(y, x) != cv::Vec3b(255, 255, 255);
    if (ink && blank >= 6) ++runs;  // letters of one name are closer than 6 pixels
    blank = ink ? 0 : blank + 1;
  }
  CHECK(runs == 14);
  fs::remove(png);
}

// FER2013 comes in its own train and test folders: without a split, the
// chart shows the two side by side, the larger (train) in the colour a
// split's training side has.
TEST_CASE("class chart: a corpus's own train and test parts side by side") {
  const auto faces = ser::datasets::load_fer2013(ser::test::data_dir() + "/fer2013_small");
  int64_t train = 0, test = 0;
  for (const auto& s : faces.corpus.samples) (s.partition == "train" ? train : test) += 1;
  REQUIRE(train == 4036);
  REQUIRE(test == 3589);
  const fs::path png = temp("fer.png");
  write_class_chart(png.string(), faces.corpus, nullptr);
  const cv::Mat img = cv::imread(png.string());
  REQUIRE(!img.empty());
  const double first = static_cast<double>(pixels_of(img, plot::colour(0)));
  const double second = static_cast<double>(pixels_of(img, plot::colour(1)));
  CHECK(first / second == doctest::Approx(4036.0 / 3589).epsilon(0.05));
  fs::remove(png);
}

TEST_CASE("audio plot: the waveform and both spectra follow the speech and its pause") {
  const std::string file = ser::test::data_dir() + "/tess/OAF_angry/OAF_base_angry.flac";
  ser::dsp::FeatureSpec mfcc;
  mfcc.kind = ser::dsp::FeatureKind::mfcc;
  ser::dsp::FeatureSpec mel = mfcc;
  mel.kind = ser::dsp::FeatureKind::mel_db;
  const auto audio = ser::dsp::load_audio(file, mfcc.load);
  const auto mel_db = ser::dsp::FeatureExtractor(mel)(audio.samples, audio.sample_rate);
  const auto coefficients = ser::dsp::FeatureExtractor(mfcc)(audio.samples, audio.sample_rate);
  const fs::path png = temp("audio.png");
  write_audio_plot(png.string(), {"OAF_base_angry", audio.samples, audio.sample_rate, 512, &mel_db, &coefficients},
                   1200);
  const cv::Mat img = cv::imread(png.string());
  REQUIRE(img.cols == 1200);
  // The file speaks from about 0.2 s, pauses from 0.9 to 1.05 s and speaks again at 1.1 s.
  const double seconds = static_cast<double>(audio.samples.size()) / audio.sample_rate;
  const auto column = [&](double s) { return 70 + static_cast<int>(s / seconds * (1200 - 70 - 90)); };
  const auto wave_ink = [&](double from, double to) {  // waveform pixels (palette colour 0) in the first panel
    return pixels_of(img(cv::Rect(column(from), 41, column(to) - column(from), 148)), plot::colour(0));
  };
  CHECK(wave_ink(0.2, 0.3) > 20 * std::max<int64_t>(1, wave_ink(0.92, 1.02)));
  const auto mel_brightness = [&](double from, double to) {  // the mel panel's mean brightness
    return cv::mean(img(cv::Rect(column(from), 40 + 150 + 42 + 2, column(to) - column(from), 216)))[1];
  };
  CHECK(mel_brightness(0.2, 0.3) > mel_brightness(0.92, 1.02) + 30);
  fs::remove(png);
}

int main(int argc, char** argv) { return ser::test::run_requiring(ser::test::data_dir(), "SER_DATA", argc, argv); }
