// Image augmentation (datasets/image_augment.cpp) against Keras'
// apply_transform as scipy computes it (golden values in the project's own
// tests/reference/, from generators/make_image_augment_reference.py), and the
// draws: repeatable per (seed, epoch, row), different across epochs, each
// setting within its range.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numbers>
#include <vector>

#include "datasets/image_augment.hpp"
#include "datasets/spec_augment.hpp"
#include "support/paths.hpp"

using ser::datasets::ImageAugment;

namespace {
std::string reference_file() { return ser::test::own_reference_file("image_augment.json"); }

std::vector<float> ramp(int64_t h, int64_t w) {
  std::vector<float> v(static_cast<size_t>(h * w));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i % 97) / 97.0f;
  return v;
}
}  // namespace

TEST_CASE("rotation, shifts, zooms and the flip: Keras' apply_transform (scipy, order 1, nearest) to 1e-5") {
  std::ifstream in(reference_file());
  REQUIRE_MESSAGE(in.good(), reference_file() << " is missing: it is part of the repository");
  const auto ref = nlohmann::json::parse(in);
  REQUIRE(ref["cases"].size() >= 8);
  const int64_t h = ref["h"], w = ref["w"];
  const std::vector<double> image = ref["image"];
  for (const auto& c : ref["cases"]) {
    const auto& d = c["draw"];
    const ImageAugment::Draw draw{d["theta"], d["tx"], d["ty"], d["zx"], d["zy"], d["flip"]};
    CAPTURE(d.dump());
    std::vector<float> x(image.begin(), image.end());
    ImageAugment::apply_draw(draw, x.data(), h, w);
    const std::vector<double> want = c["output"];
    double worst = 0;
    for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(x[i] - want[i]));
    CHECK(worst < 1e-5);
  }
}

TEST_CASE("draws: the same for the same seed, epoch and row; another epoch, another image; ranges kept") {
  ImageAugment a;
  a.flip = true;
  a.shift = 0.1;
  a.rotation = 10;
  a.zoom = 0.1;
  const auto x0 = ramp(48, 48);
  auto run = [&](int epoch, uint64_t row) {
    auto x = x0;
    ser::Rng rng = ser::datasets::image_augment_rng(42, epoch, row);
    a.apply(x.data(), 48, 48, rng);
    return x;
  };
  CHECK(run(3, 17) == run(3, 17));
  CHECK(run(3, 17) != run(4, 17));
  CHECK(run(3, 17) != run(3, 18));
  int flips = 0;
  for (uint64_t row = 0; row < 400; ++row) {
    ser::Rng rng = ser::datasets::image_augment_rng(1, 1, row);
    const ImageAugment::Draw d = a.draw(48, 48, rng);
    CHECK(std::abs(d.theta) <= 10 * std::numbers::pi / 180 + 1e-12);
    CHECK(std::abs(d.tx) <= 4.8 + 1e-9);
    CHECK(std::abs(d.ty) <= 4.8 + 1e-9);
    CHECK(std::abs(d.zx - 1) <= 0.1 + 1e-9);
    CHECK(std::abs(d.zy - 1) <= 0.1 + 1e-9);
    flips += d.flip;
  }
  CHECK(flips > 160);  // a fair coin over 400 rows: 200 +- 5 sigma
  CHECK(flips < 240);
  // Nothing asked, nothing changed.
  auto x = x0;
  ser::Rng rng(5);
  ImageAugment{}.apply(x.data(), 48, 48, rng);
  CHECK(x == x0);
}

TEST_CASE("SpecAugment: masks within their limits, the same per (seed, epoch, row), in either layout") {
  ser::datasets::SpecAugment a;
  a.time_masks = 2, a.time_width = 5, a.freq_masks = 1, a.freq_width = 3;
  const int64_t F = 8, T = 30;
  for (const bool time_major : {false, true}) {
    for (uint64_t row = 0; row < 50; ++row) {
      std::vector<float> x(static_cast<size_t>(F * T), 1.0f);
      ser::Rng rng = ser::datasets::spec_augment_rng(7, 3, row);
      a.apply(x.data(), F, T, time_major, rng);
      const auto at = [&](int64_t r, int64_t t) { return time_major ? x[static_cast<size_t>(t * F + r)] : x[static_cast<size_t>(r * T + t)]; };
      int64_t frames_masked = 0, rows_masked = 0;
      for (int64_t t = 0; t < T; ++t) {
        bool all = true;
        for (int64_t r = 0; r < F; ++r) all = all && at(r, t) == 0.0f;
        frames_masked += all;
      }
      for (int64_t r = 0; r < F; ++r) {
        bool all = true;
        for (int64_t t = 0; t < T; ++t) all = all && at(r, t) == 0.0f;
        rows_masked += all;
      }
      CHECK(frames_masked <= 2 * 5);
      CHECK(rows_masked <= 3);
      // Every zero lies in a masked frame or a masked row: masks are whole stretches.
      int64_t zeros = 0;
      for (const float v : x) zeros += v == 0.0f;
      CHECK(zeros == frames_masked * F + rows_masked * T - frames_masked * rows_masked);
      // The same draw again.
      std::vector<float> y(static_cast<size_t>(F * T), 1.0f);
      ser::Rng again = ser::datasets::spec_augment_rng(7, 3, row);
      a.apply(y.data(), F, T, time_major, again);
      CHECK(x == y);
    }
  }
  ser::datasets::SpecAugment none;
  CHECK(none.identity());
}
