// Fixed-length model inputs: pad/truncate, flattening order, pooling,
// concatenation, and standardisation fitted on training rows only.
#include <doctest/doctest.h>

#include <cmath>

#include "dsp/fixed_length.hpp"

using namespace ser::dsp;

namespace {
Matrix make(int64_t rows, int64_t cols) {  // m(r, t) = 10 r + t
  Matrix m(rows, cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t t = 0; t < cols; ++t) m(r, t) = 10.0 * r + t;
  return m;
}
}  // namespace

TEST_CASE("pad or truncate frames") {
  const Matrix m = make(2, 3);
  const Matrix longer = fix_frames(m, 5);
  CHECK(longer.cols == 5);
  CHECK(longer(1, 2) == 12.0);
  CHECK(longer(1, 4) == 0.0);
  const Matrix shorter = fix_frames(m, 2);
  CHECK(shorter.cols == 2);
  CHECK(shorter(1, 1) == 11.0);
}

TEST_CASE("time-major flattening is mfcc.T.flatten(): 20 x 120 MFCCs become 2400 values") {
  const Matrix m = make(20, 120);
  const auto flat = flatten_time_major(m);
  REQUIRE(flat.size() == 2400);
  CHECK(flat[0] == 0.0f);       // frame 0, coefficient 0
  CHECK(flat[1] == 10.0f);      // frame 0, coefficient 1
  CHECK(flat[20] == 1.0f);      // frame 1, coefficient 0
  CHECK(flat[2399] == 309.0f);  // frame 119, coefficient 19
  CHECK(flatten_feature_major(m)[1] == 1.0f);
}

TEST_CASE("mean and standard deviation over time") {
  const Matrix m = make(2, 4);  // rows 0..3 and 10..13
  const auto pooled = mean_std_pool(m);
  REQUIRE(pooled.size() == 4);
  CHECK(pooled[0] == doctest::Approx(1.5));
  CHECK(pooled[1] == doctest::Approx(11.5));
  CHECK(pooled[2] == doctest::Approx(std::sqrt(1.25)));
}

TEST_CASE("concatenating ZCR + RMS + MFCC") {
  const Matrix zcr = make(1, 4), rms = make(1, 4), mfcc = make(3, 4);
  const Matrix parts[] = {zcr, rms, mfcc};
  const Matrix all = concat_features(parts);
  CHECK(all.rows == 5);
  CHECK(all(4, 3) == 23.0);
  const Matrix wrong[] = {zcr, make(1, 5)};
  CHECK_THROWS_WITH_AS(concat_features(wrong), doctest::Contains("fix them to one length first"),
                       std::invalid_argument);
  const std::vector<float> a = {1, 2}, b = {3};
  const std::vector<float> flat_parts[] = {a, b};
  CHECK(concat(flat_parts) == std::vector<float>{1, 2, 3});
}

TEST_CASE("standardisation uses the training statistics on every split") {
  // Two features; the second is constant in training.
  const std::vector<float> train = {1, 5, 3, 5, 5, 5};
  Standardizer s;
  s.fit(train, 2);
  CHECK(s.mean()[0] == doctest::Approx(3.0));
  CHECK(s.scale()[0] == doctest::Approx(std::sqrt(8.0 / 3)));
  CHECK(s.scale()[1] == 1.0);
  std::vector<float> test = {3, 7};
  s.transform(test);
  CHECK(test[0] == doctest::Approx(0.0));
  CHECK(test[1] == doctest::Approx(2.0));  // centred with the training mean, not its own
  std::vector<float> bad = {1, 2, 3};
  CHECK_THROWS_AS(s.transform(bad), std::invalid_argument);
}
