#include "dsp/voice_quality.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace ser::dsp {

void VoiceQualityOptions::register_settings(Settings& s) {
  s.number("voice_floor", floor, 20, 1000, "pitch floor of jitter, shimmer and HNR (Praat's 75)").unit("Hz");
  s.number("voice_ceiling", ceiling, 40, 5000, "pitch ceiling of jitter and shimmer (Praat's 600)").unit("Hz");
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A sound as Praat samples it: sample i (1-based, as Praat counts) at x1 + (i - 1) dx.
struct Sampled {
  std::span<const double> x;
  double dx;
  double x1() const { return 0.5 * dx; }
  int64_t n() const { return static_cast<int64_t>(x.size()); }
  double at(int64_t i) const { return x[static_cast<size_t>(i - 1)]; }
  int64_t low_index(double t) const { return static_cast<int64_t>(std::floor((t - x1()) / dx)) + 1; }
  int64_t high_index(double t) const { return static_cast<int64_t>(std::ceil((t - x1()) / dx)) + 1; }
  int64_t nearest_index(double t) const { return static_cast<int64_t>(std::floor((t - x1()) / dx + 0.5)) + 1; }
  double time(double i) const { return x1() + (i - 1) * dx; }
};

// The largest |sample| in [tmin, tmax], its position refined by a parabola.
double find_extremum(const Sampled& s, double tmin, double tmax) {
  const int64_t from = std::max<int64_t>(1, s.low_index(tmin)), to = std::min(s.n(), s.high_index(tmax));
  const int64_t n = to - from + 1;
  const auto v = [&](int64_t k) { return s.at(from + k - 1); };  // k from 1
  double position;
  if (n <= 0) return (tmin + tmax) / 2;
  if (n == 1) {
    position = 1;
  } else if (n == 2) {
    position = std::abs(v(1)) > std::abs(v(2)) ? 1.0 : std::abs(v(1)) < std::abs(v(2)) ? 2.0 : 1.5;
  } else {
    int64_t imin = 1, imax = 1;
    for (int64_t k = 2; k <= n; ++k) {
      if (v(k) < v(imin)) imin = k;
      if (v(k) > v(imax)) imax = k;
    }
    const int64_t e = std::abs(v(imin)) > std::abs(v(imax)) ? imin : imax;
    if (v(imin) == v(imax)) position = 0.5 * (static_cast<double>(n) + 1.0);
    else if (e == 1 || e == n) position = static_cast<double>(e);
    else position = static_cast<double>(e) + 0.5 * (v(e + 1) - v(e - 1)) / (2 * v(e) - v(e - 1) - v(e + 1));
  }
  return s.time(static_cast<double>(from) - 1 + position);
}

// The best match of one period around t1 among starts in [tmin2, tmax2]:
// the correlation, the matched time (`out`) and that stretch's peak.
double find_max_correlation(const Sampled& s, double t1, double length, double tmin2, double tmax2, double& out,
                            double& peak) {
  const double half = 0.5 * length;
  const int64_t left1 = s.nearest_index(t1 - half), right1 = s.nearest_index(t1 + half);
  const int64_t left2_min = s.low_index(tmin2 - half), left2_max = s.high_index(tmax2 - half);
  double best = -1.0, r1 = 0, r2 = 0, r3 = 0, r1_best = 0, r3_best = 0, ir = 0;
  peak = 0;
  for (int64_t left2 = left2_min; left2 <= left2_max; ++left2) {
    double norm1 = 0, norm2 = 0, product = 0, local_peak = 0;
    for (int64_t i1 = left1, i2 = left2; i1 <= right1; ++i1, ++i2) {
      if (i1 < 1 || i1 > s.n() || i2 < 1 || i2 > s.n()) continue;
      const double a1 = s.at(i1), a2 = s.at(i2);
      norm1 += a1 * a1, norm2 += a2 * a2, product += a1 * a2;
      local_peak = std::max(local_peak, std::abs(a2));
    }
    r1 = r2, r2 = r3;
    r3 = product != 0 ? product / std::sqrt(norm1 * norm2) : 0.0;
    if (r2 > best && r2 >= r1 && r2 >= r3) r1_best = r1, best = r2, r3_best = r3, ir = static_cast<double>(left2 - 1), peak = local_peak;
  }
  if (best > -1.0) {
    const double d2r = 2 * best - r1_best - r3_best;
    if (d2r != 0) {
      const double dr = 0.5 * (r3_best - r1_best);
      best += 0.5 * dr * dr / d2r;
      ir += dr / d2r;
    }
    out = t1 + (ir - static_cast<double>(left1)) * s.dx;
  }
  return best;
}

// Pitch_getVoicedIntervalAfter: the next voiced stretch of frames after `after`.
bool voiced_interval_after(const PraatPitch& p, double after, double& left, double& right) {
  const auto n = static_cast<int64_t>(p.frames.size());
  int64_t i = static_cast<int64_t>(std::ceil((after - p.first_time) / p.step));  // 0-based high index
  if (i >= n) return false;
  i = std::max<int64_t>(i, 0);
  while (i < n && !p.voiced(static_cast<size_t>(i))) ++i;
  if (i >= n) return false;
  int64_t j = i;
  while (j + 1 < n && p.voiced(static_cast<size_t>(j + 1))) ++j;
  left = p.first_time + static_cast<double>(i) * p.step - 0.5 * p.step;
  right = p.first_time + static_cast<double>(j) * p.step + 0.5 * p.step;
  if (left >= p.end - 0.5 * p.step) return false;
  left = std::max(left, p.start);
  right = std::min(right, p.end);
  return true;
}

void add_point(std::vector<double>& points, double t) {
  const auto it = std::lower_bound(points.begin(), points.end(), t);
  if (it == points.end() || *it != t) points.insert(it, t);
}

// Walk from a first pulse one period at a time in direction `dir` (-1, +1).
void follow_pulses(const Sampled& s, const PraatPitch& p, double start, int dir, double edge, double global_peak,
                   double& added_right, std::vector<double>& points) {
  double t = start;
  for (;;) {
    const double f0 = p.value_at(t);
    if (std::isnan(f0)) break;
    double peak = 0;
    const double lo = dir < 0 ? t - 1.25 / f0 : t + 0.8 / f0, hi = dir < 0 ? t - 0.8 / f0 : t + 1.25 / f0;
    const double correlation = find_max_correlation(s, t, 1.0 / f0, lo, hi, t, peak);
    if (correlation == -1) t += dir / f0;  // this period drops out
    if (dir < 0 ? t < edge : t > edge) {
      if (correlation > 0.7 && peak > 0.023333 * global_peak && (dir > 0 || t - added_right > 0.8 / f0)) {
        add_point(points, t);
        if (dir > 0) added_right = t;
      }
      break;
    }
    if (correlation > 0.3 && (peak == 0.0 || peak > 0.01 * global_peak) && (dir > 0 || t - added_right > 0.8 / f0)) {
      add_point(points, t);
      if (dir > 0) added_right = t;
    }
  }
}

// Praat's PointProcess_isPeriod: the interval from pulse i to i + 1.
bool is_period(const std::vector<double>& t, size_t i, double shortest, double longest, double factor) {
  if (i + 1 >= t.size()) return false;
  if (shortest == longest) return true;
  const double interval = t[i + 1] - t[i];
  if (interval <= 0 || interval < shortest || interval > longest) return false;
  if (std::isnan(factor) || factor < 1) return true;
  const double prev = i >= 1 ? interval / (t[i] - t[i - 1]) : kNaN;
  const double next = i + 2 < t.size() ? interval / (t[i + 2] - t[i + 1]) : kNaN;
  const auto folded = [](double f) { return f > 0 && f < 1 ? 1 / f : f; };
  return !(folded(prev) > factor && folded(next) > factor);  // NaN compares false: a missing neighbour passes
}

double mean_period(const std::vector<double>& t, double shortest, double longest, double factor) {
  double sum = 0;
  int count = 0;
  for (size_t i = 0; i + 1 < t.size(); ++i)
    if (is_period(t, i, shortest, longest, factor)) sum += t[i + 1] - t[i], ++count;
  return count > 0 ? sum / count : kNaN;
}

// sqrt of the Hann-weighted mean square around tmid (widths left and right).
double hann_rms(const Sampled& s, double tmid, double left, double right) {
  const int64_t from = std::max<int64_t>(1, s.high_index(tmid - left)), to = std::min(s.n(), s.low_index(tmid + right));
  if (to - from + 1 < 3) return kNaN;
  double sum = 0, weight = 0;
  for (int64_t i = from; i <= to; ++i) {
    const double t = s.time(static_cast<double>(i));
    const double w = 0.5 + 0.5 * std::cos(std::numbers::pi * (t - tmid) / (t < tmid ? left : right));
    sum += (s.at(i) * w) * (s.at(i) * w);
    weight += w * w;
  }
  return std::sqrt(sum / weight);
}

}  // namespace

std::vector<double> glottal_pulses(std::span<const double> x, int sr, const PraatPitch& p) {
  const Sampled s{x, 1.0 / sr};
  double global_peak = 0;
  for (const double v : x) global_peak = std::max(global_peak, std::abs(v));
  std::vector<double> points;
  double t = p.start, added_right = -1e300, left = 0, right = 0;
  while (voiced_interval_after(p, t, left, right)) {
    const double middle = (left + right) / 2, f0 = p.value_at(middle);
    if (std::isnan(f0)) break;  // cannot happen for a voiced interval; Praat stops there too
    const double first = find_extremum(s, middle - 0.5 / f0, middle + 0.5 / f0);
    add_point(points, first);
    follow_pulses(s, p, first, -1, left, global_peak, added_right, points);
    follow_pulses(s, p, first, +1, right, global_peak, added_right, points);
    t = right;
  }
  return points;
}

double local_jitter(const std::vector<double>& t, double shortest, double longest, double factor) {
  if (t.size() < 3) return kNaN;
  auto periods = static_cast<int64_t>(t.size()) - 1;
  double sum = 0;
  for (size_t i = 1; i + 1 < t.size(); ++i) {
    const double p1 = t[i] - t[i - 1], p2 = t[i + 1] - t[i];
    const double f = p1 > p2 ? p1 / p2 : p2 / p1;
    if (shortest == longest || (p1 >= shortest && p1 <= longest && p2 >= shortest && p2 <= longest && f <= factor))
      sum += std::abs(p1 - p2);
    else
      --periods;
  }
  if (periods < 2) return kNaN;
  return sum / static_cast<double>(periods - 1) / mean_period(t, shortest, longest, factor);
}

double local_shimmer(const std::vector<double>& t, std::span<const double> x, int sr, double shortest, double longest,
                     double factor, double amplitude_factor) {
  if (t.size() < 3) return kNaN;
  const Sampled s{x, 1.0 / sr};
  std::vector<double> when, amplitude;  // Praat's AmplitudeTier (period)
  for (size_t i = 1; i + 1 < t.size(); ++i) {
    const double p1 = t[i] - t[i - 1], p2 = t[i + 1] - t[i];
    const double f = p1 > p2 ? p1 / p2 : p2 / p1;
    if (!(shortest == longest || (p1 >= shortest && p1 <= longest && p2 >= shortest && p2 <= longest && f <= factor)))
      continue;
    const double a = hann_rms(s, t[i], 0.2 * p1, 0.2 * p2);
    if (!std::isnan(a) && a > 0) when.push_back(t[i]), amplitude.push_back(a);
  }
  double numerator = 0;
  int count = 0;
  for (size_t i = 1; i < when.size(); ++i) {
    const double p = when[i] - when[i - 1], a1 = amplitude[i - 1], a2 = amplitude[i];
    const double f = a1 > a2 ? a1 / a2 : a2 / a1;
    if ((shortest == longest || (p >= shortest && p <= longest)) && f <= amplitude_factor)
      numerator += std::abs(a1 - a2), ++count;
  }
  if (count < 1) return kNaN;
  double denominator = 0;
  for (size_t i = 0; i + 1 < amplitude.size(); ++i) denominator += amplitude[i];
  denominator /= static_cast<double>(amplitude.size() - 1);
  return denominator == 0 ? kNaN : numerator / count / denominator;
}

double mean_hnr(std::span<const double> x, int sr, double floor) {
  PraatPitchOptions o;
  o.method = PraatPitchMethod::cross_correlation;
  o.time_step = 0.01;
  o.floor = floor;
  o.periods_per_window = 1.0;
  o.silence_threshold = 0.1;
  o.voicing_threshold = o.octave_cost = o.octave_jump_cost = o.voiced_unvoiced_cost = 0.0;
  o.ceiling = 0.5 * sr;
  const PraatPitch p = praat_pitch(x, sr, o);
  double sum = 0;
  int voiced = 0;
  for (const PraatPitchFrame& f : p.frames) {
    if (f.frequency == 0.0) continue;  // -200 dB in Praat: left out of the mean
    const double r = f.strength;
    sum += r <= 1e-15 ? -150.0 : r > 1.0 - 1e-15 ? 150.0 : 10.0 * std::log10(r / (1.0 - r));
    ++voiced;
  }
  return voiced ? sum / voiced : kNaN;
}

VoiceQuality voice_quality(std::span<const double> x, int sr, const VoiceQualityOptions& o) {
  PraatPitchOptions po;
  po.floor = o.floor;
  po.ceiling = o.ceiling;
  const std::vector<double> pulses = glottal_pulses(x, sr, praat_pitch(x, sr, po));
  VoiceQuality v;
  v.pulses = static_cast<int>(pulses.size());
  v.jitter = local_jitter(pulses);
  v.shimmer = local_shimmer(pulses, x, sr);
  v.hnr = mean_hnr(x, sr, o.floor);
  return v;
}

}  // namespace ser::dsp
