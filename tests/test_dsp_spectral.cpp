// Spectral options the librosa reference files do not exercise, checked by
// their defining properties; and one extractor shared between threads.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <thread>

#include "dsp/lane_fft.hpp"
#include "dsp/mfcc.hpp"

using namespace ser::dsp;

namespace {
std::vector<float> chirp(double sr, double seconds, double phase = 0.0) {
  std::vector<float> y(static_cast<size_t>(sr * seconds));
  for (size_t i = 0; i < y.size(); ++i) {
    const double t = static_cast<double>(i) / sr;
    y[i] = static_cast<float>(0.4 * std::sin(2 * std::numbers::pi * (200 + 900 * t) * t + phase));
  }
  return y;
}

// The spectrogram that for_each_power_block streams, gathered from its
// blocks; checks that the blocks come in order, each as full as it can be.
Matrix gather_power_blocks(const Stft& stft, std::span<const float> y, int block) {
  Matrix got(stft.bins(), stft.frame_count(static_cast<int64_t>(y.size())));
  int64_t next = 0;
  stft.for_each_power_block(y, block, [&](int64_t first, int count, double* p) {
    CHECK(first == next);
    CHECK(count == std::min<int64_t>(block, got.cols - first));
    next = first + count;
    for (int64_t b = 0; b < got.rows; ++b)
      for (int j = 0; j < count; ++j) got(b, first + j) = p[b * block + j];
  });
  CHECK(next == got.cols);
  return got;
}
}  // namespace

TEST_CASE("periodic windows: Hann and Hamming as scipy.signal.get_window(fftbins=True)") {
  const auto hann = periodic_window(WindowKind::hann, 8), hamming = periodic_window(WindowKind::hamming, 8);
  for (int n = 0; n < 8; ++n) {
    CHECK(hann[static_cast<size_t>(n)] == doctest::Approx(0.5 - 0.5 * std::cos(2 * std::numbers::pi * n / 8)));
    CHECK(hamming[static_cast<size_t>(n)] == doctest::Approx(0.54 - 0.46 * std::cos(2 * std::numbers::pi * n / 8)));
  }
  CHECK(hann[0] == doctest::Approx(0.0));  // periodic: starts at 0, no closing zero
  CHECK(hann[4] == doctest::Approx(1.0));
}

TEST_CASE("padding follows numpy.pad: constant, reflect, edge") {
  const std::vector<float> y = {1, 2, 3, 4};
  CHECK(pad_signal(y, 2, 2, PadMode::constant) == std::vector<double>{0, 0, 1, 2, 3, 4, 0, 0});
  CHECK(pad_signal(y, 2, 2, PadMode::reflect) == std::vector<double>{3, 2, 1, 2, 3, 4, 3, 2});
  CHECK(pad_signal(y, 2, 2, PadMode::edge) == std::vector<double>{1, 1, 1, 2, 3, 4, 4, 4});
  CHECK(pad_signal(y, 5, 0, PadMode::reflect) == std::vector<double>{2, 3, 4, 3, 2, 1, 2, 3, 4});
}

TEST_CASE("mel filters: without normalisation each triangle peaks near 1; HTK and Slaney scales invert") {
  MelOptions plain;
  plain.slaney_norm = false;
  const Matrix fb = mel_filterbank(22050, 2048, plain);
  for (int64_t m = 0; m < fb.rows; ++m) {
    double peak = 0;
    for (int64_t b = 0; b < fb.cols; ++b) peak = std::max(peak, fb(m, b));
    CHECK(peak <= 1.0);
    if (m > 10) CHECK(peak > 0.5);  // the lowest filters are narrower than an FFT bin
  }
  for (bool htk : {false, true})
    for (double hz : {0.0, 440.0, 1000.0, 7999.0})
      CHECK(mel_to_hz(hz_to_mel(hz, htk), htk) == doctest::Approx(hz).epsilon(1e-12));
  CHECK(hz_to_mel(1000.0, true) == doctest::Approx(999.99).epsilon(1e-4));  // HTK: 1000 Hz ~ 1000 mel
  CHECK(hz_to_mel(1000.0, false) == doctest::Approx(15.0));                 // Slaney: 15 mel at 1 kHz
}

TEST_CASE("dB scaling: ref=max puts the peak at 0 dB; top_db clamps; amplitude is 20 log10") {
  Matrix s(1, 3);
  s.data = {1e-3, 1.0, 100.0};
  DbOptions o;
  o.ref = DbReference::max;
  o.top_db = 30;
  const Matrix db = power_to_db(s, o);
  CHECK(db.data[2] == doctest::Approx(0.0));
  CHECK(db.data[1] == doctest::Approx(-20.0));
  CHECK(db.data[0] == doctest::Approx(-30.0));  // -50 clamped to max - 30
  DbOptions a = amplitude_db_defaults();
  a.top_db = -1;
  CHECK(amplitude_to_db(s, a).data[2] == doctest::Approx(40.0));
}

TEST_CASE("MFCC liftering scales coefficient k by 1 + L/2 sin(pi (k+1) / L)") {
  const auto y = chirp(16000, 0.5);
  MfccOptions plain, liftered;
  plain.cepstrum.n_mfcc = liftered.cepstrum.n_mfcc = 13;
  liftered.cepstrum.lifter = 22;
  const Matrix a = mfcc(y, 16000, plain), b = mfcc(y, 16000, liftered);
  for (int k = 0; k < 13; ++k) {
    const double li = 1 + 11 * std::sin(std::numbers::pi * (k + 1) / 22);
    CHECK(b(k, 3) == doctest::Approx(a(k, 3) * li).epsilon(1e-12));
  }
}

TEST_CASE("one extractor shared by threads gives exactly the sequential results") {
  MfccOptions o;
  o.cepstrum.n_mfcc = 40;
  const MfccExtractor extract(22050, o);
  std::vector<std::vector<float>> clips;
  for (int i = 0; i < 8; ++i) clips.push_back(chirp(22050, 1.0 + 0.1 * i, 0.3 * i));
  std::vector<Matrix> sequential, parallel(clips.size());
  for (const auto& c : clips) sequential.push_back(extract(c));
  {
    std::vector<std::jthread> threads;
    for (size_t t = 0; t < 2; ++t)
      threads.emplace_back([&, t] {
        for (size_t i = t; i < clips.size(); i += 2) parallel[i] = extract(clips[i]);
      });
  }
  for (size_t i = 0; i < clips.size(); ++i) CHECK(parallel[i].data == sequential[i].data);
}

TEST_CASE("power blocks of any size hold the spectrogram's columns, the short last block included") {
  StftOptions o;
  o.n_fft = 256;
  const Stft stft(o);
  const auto y = chirp(8000, 0.37);  // 47 frames: blocks of 8 leave 7
  const Matrix S = stft.spectrogram(y, 2.0);
  for (int block : {1, 3, 8, 64}) {
    CAPTURE(block);
    CHECK(gather_power_blocks(stft, y, block).data == S.data);
  }
}

TEST_CASE("LaneFft: eight frames at once agree with the long-double DFT of each, at every power-of-two size") {
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0.0f, 0.3f);
  for (int n : {16, 32, 64, 128, 256, 512, 1024, 2048, 4096}) {
    CAPTURE(n);
    // Different content per lane (noise, a tone, silence, a spike) so that a
    // lane mixed up with another, or a transposed sample, shows.
    std::vector<std::vector<float>> frames(LaneFft::kLanes, std::vector<float>(static_cast<size_t>(n)));
    for (int j = 0; j < LaneFft::kLanes; ++j)
      for (int k = 0; k < n; ++k) {
        float& x = frames[static_cast<size_t>(j)][static_cast<size_t>(k)];
        x = j == 2 ? 0.0f
            : j == 5 ? (k == n / 3 ? 1.0f : 0.0f)
            : j % 2 ? static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * (j + 1.3) * k / n)) : noise(rng);
      }
    const float* f[LaneFft::kLanes];
    for (int j = 0; j < LaneFft::kLanes; ++j) f[j] = frames[static_cast<size_t>(j)].data();
    for (const WindowKind w : {WindowKind::hann, WindowKind::rectangular}) {
      const auto window_double = periodic_window(w, n);
      const std::vector<float> window(window_double.begin(), window_double.end());
      std::vector<double> power(static_cast<size_t>(n / 2 + 1) * LaneFft::kLanes);
      std::vector<float> scratch;
      LaneFft(n).power(f, window.data(), power.data(), scratch);
      for (int j = 0; j < LaneFft::kLanes; ++j) {
        CAPTURE(j);
        const auto want = dft_power_naive(f[j], window.data(), n);
        const double peak = *std::max_element(want.begin(), want.end());
        double worst = 0;
        for (int b = 0; b <= n / 2; ++b)
          worst = std::max(worst, std::abs(power[static_cast<size_t>(b * LaneFft::kLanes + j)] - want[static_cast<size_t>(b)]));
        // Single precision: a few float roundings of the peak (found: 3.5e-7 at n = 2048).
        CHECK(worst <= 1e-6 * std::max(peak, 1e-30));
        if (j == 2) CHECK(peak == 0.0);  // silence stays exactly silent
      }
    }
  }
  CHECK(!LaneFft::supports(400));
  CHECK(!LaneFft::supports(8));
  CHECK_THROWS_AS(LaneFft(400), std::invalid_argument);
}

TEST_CASE("single precision: power blocks through LaneFft hold the double spectrogram's columns to float rounding") {
  const auto y = chirp(8000, 0.37);  // 47 frames at hop 64: blocks of 8 leave 7
  for (const PadMode pad : {PadMode::constant, PadMode::reflect, PadMode::edge})
    for (const bool center : {true, false})
      for (const size_t samples : {y.size(), size_t{300}}) {  // 300: shorter than two edges, the padded-copy path
        CAPTURE(static_cast<int>(pad));
        CAPTURE(center);
        CAPTURE(samples);
        const std::span<const float> x(y.data(), samples);
        StftOptions o;
        o.n_fft = 256;
        o.pad_mode = pad;
        o.center = center;
        const Matrix S = Stft(o).spectrogram(x, 2.0);
        o.precision = Precision::single;
        const Stft single(o);
        const Matrix got = gather_power_blocks(single, x, LaneFft::kLanes);
        double peak = 0, worst = 0;
        for (size_t i = 0; i < S.data.size(); ++i) {
          peak = std::max(peak, S.data[i]);
          worst = std::max(worst, std::abs(got.data[i] - S.data[i]));
        }
        CHECK(peak > 0);
        CHECK(worst <= 1e-6 * peak);
        // The same frames through FFTW's single-precision plan (a block size LaneFft does not take).
        const Matrix fftw = gather_power_blocks(single, x, 3);
        double apart = 0;
        for (size_t i = 0; i < S.data.size(); ++i) apart = std::max(apart, std::abs(got.data[i] - fftw.data[i]));
        CHECK(apart <= 1e-6 * peak);
      }
}

TEST_CASE("the mel filter spans are the non-zero part of the dense filterbank") {
  for (const bool htk : {false, true}) {
    MelOptions o;
    o.n_mels = 40;
    o.htk = htk;
    const Matrix dense = mel_filterbank(16000, 512, o);
    const auto spans = mel_filter_spans(16000, 512, o);
    REQUIRE(spans.size() == 40);
    for (int m = 0; m < 40; ++m) {
      const FilterSpan& s = spans[static_cast<size_t>(m)];
      for (int64_t b = 0; b < dense.cols; ++b) {
        const bool inside = b >= s.first && b < s.first + static_cast<int64_t>(s.weights.size());
        CHECK(dense(m, b) == (inside ? s.weights[static_cast<size_t>(b - s.first)] : 0.0));
      }
    }
  }
}

TEST_CASE("the blocked, symmetric DCT equals plain sums for every frame count, n_mfcc and band count") {
  // The product pairs band n with band N-1-n (an odd N leaves a middle band)
  // and runs in blocks of frames and of coefficients; the frames and
  // coefficients left over take other paths.
  for (int bands : {24, 25}) {
    Matrix S(bands, 21);
    for (size_t i = 0; i < S.data.size(); ++i) S.data[i] = std::sin(0.37 * static_cast<double>(i)) * 30.0 - 40.0;
    for (int n_mfcc : {1, 2, 5, 13, bands})
      for (int64_t frames : {1, 7, 8, 9, 16, 21}) {
        CAPTURE(bands);
        CAPTURE(n_mfcc);
        CAPTURE(frames);
        Matrix part(S.rows, frames);
        for (int64_t r = 0; r < S.rows; ++r)
          for (int64_t t = 0; t < frames; ++t) part(r, t) = S(r, t);
        const Matrix D = dct_matrix(n_mfcc, bands), got = mfcc_from_db(part, n_mfcc);
        for (int k = 0; k < n_mfcc; ++k)
          for (int64_t t = 0; t < frames; ++t) {
            double sum = 0.0;
            for (int n = 0; n < bands; ++n) sum += D(k, n) * part(n, t);
            CHECK(got(k, t) == doctest::Approx(sum).epsilon(1e-13));
          }
      }
  }
  CHECK_THROWS_WITH_AS(mfcc_from_db(Matrix(3, 4), 4), "n_mfcc must be between 1 and n_mels (3)", std::invalid_argument);
}
