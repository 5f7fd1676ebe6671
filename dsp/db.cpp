#include "dsp/db.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace ser::dsp {

namespace {
// log10 for positive normal doubles in a form the compiler vectorises
// (libm's log10 is a scalar call; bench/README.md, "Figures behind the code").
// x = 2^e * m with m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh(s), s = (m-1)/(m+1),
// |s| <= 0.1716, summed to s^23: within about one ulp of libm.
inline double log10_positive(double x) {
  // Integer operations only up to m and e: a floating-point compare or
  // select is a possible trap under GCC's default -ftrapping-math, and an
  // int64 -> double conversion has no AVX2 instruction; either keeps the
  // caller's loop scalar on machines without AVX-512.
  const auto bits = std::bit_cast<uint64_t>(x);
  const uint64_t mantissa = bits & 0x000FFFFFFFFFFFFFULL;
  const uint64_t big = mantissa > 0x6A09E667F3BCDULL ? 1 : 0;  // m > sqrt(2): halve m, add one to e
  const double m = std::bit_cast<double>(mantissa | (0x3FF0000000000000ULL - (big << 52)));
  // The biased exponent as a double through 2^52's mantissa.
  const double e = std::bit_cast<double>(0x4330000000000000ULL | ((bits >> 52) + big)) - 4503599627370496.0 - 1023.0;
  const double s = (m - 1.0) / (m + 1.0), s2 = s * s;
  double p = 1.0 / 23;
#pragma GCC unroll 16  // unrolled, the caller's loop has no inner loop left and vectorises
  for (int k = 21; k >= 3; k -= 2) p = p * s2 + 1.0 / k;
  const double ln_m = 2.0 * s + 2.0 * s * s2 * p;
  constexpr double kLn2Hi = 6.93147180369123816490e-01, kLn2Lo = 1.90821492927058770002e-10;
  const double ln_x = e * kLn2Hi + (ln_m + e * kLn2Lo);
  return ln_x * 0.43429448190325182765;  // 1 / ln 10
}

double reference_of(const Matrix& S, const DbOptions& o) {
  if (S.data.empty()) throw std::invalid_argument("decibel scaling of an empty matrix");
  switch (o.ref) {
    case DbReference::value:
      return std::abs(o.ref_value);
    case DbReference::max:
      return *std::max_element(S.data.begin(), S.data.end());
    case DbReference::min:
      return *std::min_element(S.data.begin(), S.data.end());
  }
  return 1.0;
}

Matrix to_db(const Matrix& S, double ref, double amin, double top_db) {
  if (!(amin > 0)) throw std::invalid_argument("amin must be > 0");
  Matrix out(S.rows, S.cols);
  const double offset = 10.0 * std::log10(std::max(amin, ref));
  for (size_t i = 0; i < S.data.size(); ++i) out.data[i] = 10.0 * log10_positive(std::max(amin, S.data[i])) - offset;
  double peak = -INFINITY;
  for (double v : out.data) peak = std::max(peak, v);
  if (top_db >= 0)
    for (double& v : out.data) v = std::max(v, peak - top_db);
  return out;
}
}  // namespace

Matrix power_to_db(const Matrix& power, const DbOptions& o) {
  return to_db(power, reference_of(power, o), o.amin, o.top_db);
}

void DbOptions::register_settings(Settings& s) {
  s.number("top_db", top_db, 0, 1000, "floor this far below the peak").unit("dB").special(-1, "no floor", "none");
  s.choice("db_ref", ref, {"value", "max", "min"}, "0 dB is the value ref, or the spectrogram's max or min");
  s.number("ref", ref_value, 1e-30, 1e30, "the reference when db_ref is value");
}

DbOptions power_db_options(const DbOptions& settings) {
  DbOptions o = settings;
  o.amin = DbOptions{}.amin;
  return o;
}

DbOptions amplitude_db_options(const DbOptions& settings) {
  DbOptions o = settings;
  o.amin = amplitude_db_defaults().amin;
  return o;
}

DbOptions amplitude_db_defaults() {
  DbOptions o;
  o.amin = 1e-5;
  return o;
}

Matrix amplitude_to_db(const Matrix& magnitude, DbOptions o) {
  Matrix mag = magnitude;
  for (double& v : mag.data) v = std::abs(v);
  const double ref = reference_of(mag, o);
  Matrix power = mag;
  for (double& v : power.data) v *= v;
  return to_db(power, ref * ref, o.amin * o.amin, o.top_db);
}

}  // namespace ser::dsp
