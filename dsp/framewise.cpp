#include "dsp/framewise.hpp"

#include <cmath>
#include <stdexcept>

namespace ser::dsp {

namespace {
// The padded signal and its frame count; throws when no frame fits.
std::vector<double> framed_signal(std::span<const float> y, const FrameOptions& o, PadMode mode, int64_t& frames) {
  if (o.frame_length < 1 || o.hop_length < 1) throw std::invalid_argument("frame_length and hop_length must be >= 1");
  if (y.empty()) throw std::invalid_argument("cannot frame an empty signal");
  const int64_t pad = o.center ? o.frame_length / 2 : 0;
  std::vector<double> x = pad_signal(y, pad, pad, mode);
  const int64_t n = static_cast<int64_t>(x.size());
  if (n < o.frame_length)
    throw std::invalid_argument("frame_length=" + std::to_string(o.frame_length) + " is longer than the signal (" +
                                std::to_string(y.size()) + " samples) without centring");
  frames = 1 + (n - o.frame_length) / o.hop_length;
  return x;
}
}  // namespace

Matrix zero_crossing_rate(std::span<const float> y, const FrameOptions& o) {
  int64_t frames = 0;
  std::vector<double> x = framed_signal(y, o, PadMode::edge, frames);
  std::vector<char> negative(x.size());
  for (size_t i = 0; i < x.size(); ++i) negative[i] = std::abs(x[i]) <= 1e-10 ? 0 : std::signbit(x[i]);
  Matrix out(1, frames);
  for (int64_t t = 0; t < frames; ++t) {
    const char* s = negative.data() + t * o.hop_length;
    int64_t crossings = 0;
    for (int k = 1; k < o.frame_length; ++k) crossings += s[k] != s[k - 1];
    out(0, t) = static_cast<double>(crossings) / o.frame_length;
  }
  return out;
}

Matrix rms(std::span<const float> y, const FrameOptions& o, PadMode pad_mode) {
  int64_t frames = 0;
  std::vector<double> x = framed_signal(y, o, pad_mode, frames);
  Matrix out(1, frames);
  for (int64_t t = 0; t < frames; ++t) {
    const double* s = x.data() + t * o.hop_length;
    double acc = 0;
    for (int k = 0; k < o.frame_length; ++k) acc += s[k] * s[k];
    out(0, t) = std::sqrt(acc / o.frame_length);
  }
  return out;
}

}  // namespace ser::dsp
