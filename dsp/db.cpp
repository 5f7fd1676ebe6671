#include "dsp/db.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace ser::dsp {

namespace {
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
  double peak = -INFINITY;
  for (size_t i = 0; i < S.data.size(); ++i) {
    out.data[i] = 10.0 * std::log10(std::max(amin, S.data[i])) - offset;
    peak = std::max(peak, out.data[i]);
  }
  if (top_db >= 0)
    for (double& v : out.data) v = std::max(v, peak - top_db);
  return out;
}
}  // namespace

Matrix power_to_db(const Matrix& power, const DbOptions& o) {
  return to_db(power, reference_of(power, o), o.amin, o.top_db);
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
