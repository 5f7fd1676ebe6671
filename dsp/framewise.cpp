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

namespace {
// Sum of squares in eight independent lanes (a serial sum waits on each
// add): the compiler keeps them in one vector register.
template <typename T>
double sum_of_squares(const T* s, int n) {
  double lane[8] = {};
  int k = 0;
  for (; k + 8 <= n; k += 8)
    for (int j = 0; j < 8; ++j) lane[j] += static_cast<double>(s[k + j]) * static_cast<double>(s[k + j]);
  for (; k < n; ++k) lane[k % 8] += static_cast<double>(s[k]) * static_cast<double>(s[k]);
  return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}
}  // namespace

Matrix rms(std::span<const float> y, const FrameOptions& o, PadMode pad_mode) {
  if (o.frame_length < 1 || o.hop_length < 1) throw std::invalid_argument("frame_length and hop_length must be >= 1");
  if (y.empty()) throw std::invalid_argument("cannot frame an empty signal");
  const auto n = static_cast<int64_t>(y.size());
  const int64_t pad = o.center ? o.frame_length / 2 : 0, L = o.frame_length;
  if (n + 2 * pad < L)
    throw std::invalid_argument("frame_length=" + std::to_string(L) + " is longer than the signal (" +
                                std::to_string(y.size()) + " samples) without centring");
  const int64_t frames = 1 + (n + 2 * pad - L) / o.hop_length;
  // Only frames that reach into the padding read a padded copy (of the two
  // ends, or of the whole of a short signal); the rest read the signal.
  const int64_t edge = L + o.hop_length;
  const bool short_signal = n < 2 * edge;
  const std::vector<double> whole = short_signal ? pad_signal(y, pad, pad, pad_mode) : std::vector<double>{};
  const std::vector<double> head = short_signal ? std::vector<double>{} : pad_signal(y.first(static_cast<size_t>(edge)), pad, 0, pad_mode);
  const std::vector<double> tail = short_signal ? std::vector<double>{} : pad_signal(y.last(static_cast<size_t>(edge)), 0, pad, pad_mode);
  Matrix out(1, frames);
  for (int64_t t = 0; t < frames; ++t) {
    const int64_t start = t * o.hop_length - pad;  // in signal coordinates
    double acc;
    if (short_signal)
      acc = sum_of_squares(whole.data() + start + pad, static_cast<int>(L));
    else if (start >= 0 && start + L <= n)
      acc = sum_of_squares(y.data() + start, static_cast<int>(L));
    else if (start < 0)
      acc = sum_of_squares(head.data() + start + pad, static_cast<int>(L));
    else
      acc = sum_of_squares(tail.data() + (start - (n - edge)), static_cast<int>(L));
    out(0, t) = std::sqrt(acc / static_cast<double>(L));
  }
  return out;
}

}  // namespace ser::dsp
