#include "dsp/praat_pitch.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numbers>
#include <stdexcept>
#include <string>

#include "dsp/stft.hpp"

namespace ser::dsp {

namespace {
constexpr double kPi = std::numbers::pi;
}

// Praat's NUM_interpolate_sinc, written from its description: constant
// outside [1, n], exact at whole positions, otherwise a sinc windowed by a
// raised cosine of half-width depth + 0.5, over at most `depth` samples a
// side (fewer near the ends).
double sinc_interpolate(std::span<const double> y, double x, int depth) {
  const auto n = static_cast<int64_t>(y.size());
  const auto at = [&](int64_t i) { return y[static_cast<size_t>(i - 1)]; };
  if (n < 1) return std::numeric_limits<double>::quiet_NaN();
  if (x < 1) return at(1);
  if (x > static_cast<double>(n)) return at(n);
  const auto midleft = static_cast<int64_t>(std::floor(x)), midright = midleft + 1;
  if (x == static_cast<double>(midleft)) return at(midleft);
  int64_t d = std::min<int64_t>({depth, midright - 1, n - midleft});
  if (d <= 0) return at(static_cast<int64_t>(std::nearbyint(x)));
  if (d == 1) return at(midleft) + (x - static_cast<double>(midleft)) * (at(midright) - at(midleft));
  const double half_width = static_cast<double>(d) + 0.5;
  // The window's cosine at phase / half_width is rotated by a fixed step
  // from sample to sample, and the sinc's sine only changes sign: no sine or
  // cosine in the loop. Four interleaved rotations keep the pipeline full.
  const double step = kPi / half_width, cos4 = std::cos(4 * step), sin4 = std::sin(4 * step);
  double result = 0;
  for (int side = 0; side < 2; ++side) {  // left of x, then right of x
    const double phase0 = side == 0 ? kPi * (x - static_cast<double>(midleft)) : kPi * (static_cast<double>(midright) - x);
    const double half_sin = 0.5 * std::sin(phase0);
    double cw[4], sw[4], acc[4] = {};
    cw[0] = std::cos(phase0 / half_width), sw[0] = std::sin(phase0 / half_width);
    for (int c = 1; c < 4; ++c) {
      cw[c] = cw[c - 1] * std::cos(step) - sw[c - 1] * std::sin(step);
      sw[c] = cw[c - 1] * std::sin(step) + sw[c - 1] * std::cos(step);
    }
    for (int64_t k = 0; k < d; k += 4)
      for (int c = 0; c < 4 && k + c < d; ++c) {
        const int64_t kk = k + c, i = side == 0 ? midleft - kk : midright + kk;
        const double phase = phase0 + static_cast<double>(kk) * kPi;
        acc[c] += at(i) * (c % 2 ? -half_sin : half_sin) / phase * (1.0 + cw[c]);
        const double next_sin = cw[c] * sin4 + sw[c] * cos4;
        cw[c] = cw[c] * cos4 - sw[c] * sin4;
        sw[c] = next_sin;
      }
    result += (acc[0] + acc[1]) + (acc[2] + acc[3]);
  }
  return result;
}

namespace {

// Brent's minimisation of f on [a, b] to tolerance `tol` (golden sections
// and parabolas), as Praat refines a correlation peak; returns the argument.
template <class F>
double minimize_brent(F f, double a, double b, double tol, double& fx_out) {
  const double golden = 0.3819660112501051;
  double x = a + golden * (b - a), w = x, v = x;
  double fx = f(x), fw = fx, fv = fx;
  double d = 0, e = 0;
  for (int iter = 0; iter < 60; ++iter) {
    const double mid = 0.5 * (a + b), tol1 = 1.4901161193847656e-08 * std::abs(x) + tol / 3, tol2 = 2 * tol1;
    if (std::abs(x - mid) <= tol2 - 0.5 * (b - a)) break;
    bool golden_step = true;
    if (std::abs(e) > tol1) {  // try a parabola through x, w, v
      double r = (x - w) * (fx - fv), q = (x - v) * (fx - fw), p = (x - v) * q - (x - w) * r;
      q = 2 * (q - r);
      if (q > 0) p = -p;
      q = std::abs(q);
      if (std::abs(p) < std::abs(0.5 * q * e) && p > q * (a - x) && p < q * (b - x)) {
        e = d;
        d = p / q;
        const double u = x + d;
        if (u - a < tol2 || b - u < tol2) d = mid > x ? tol1 : -tol1;
        golden_step = false;
      }
    }
    if (golden_step) {
      e = x < mid ? b - x : a - x;
      d = golden * e;
    }
    const double u = std::abs(d) >= tol1 ? x + d : x + (d > 0 ? tol1 : -tol1);
    const double fu = f(u);
    if (fu <= fx) {
      (u < x ? b : a) = x;
      v = w, fv = fw, w = x, fw = fx, x = u, fx = fu;
    } else {
      (u < x ? a : b) = u;
      if (fu <= fw || w == x) {
        v = w, fv = fw, w = u, fw = fu;
      } else if (fu <= fv || v == x || v == w) {
        v = u, fv = fu;
      }
    }
  }
  fx_out = fx;
  return x;
}

// The frame geometry of one analysis, as Praat derives it from the settings.
struct Geometry {
  double dx = 0, dt = 0, t1 = 0, dt_window = 0;
  int64_t frames = 0, nsamp_period = 0, halfnsamp_period = 0, nsamp_window = 0, halfnsamp_window = 0;
  int64_t maximum_lag = 0, brent_ixmax = 0, fft_size = 0;
  int brent_depth = 70, max_candidates = 15;
  double ceiling = 0;
};

Geometry geometry_of(int64_t n, int sr, const PraatPitchOptions& o) {
  Geometry g;
  const bool cc = o.method == PraatPitchMethod::cross_correlation;
  g.dx = 1.0 / sr;
  g.ceiling = std::min(o.ceiling, 0.5 / g.dx);
  g.max_candidates = std::max(o.max_candidates, static_cast<int>(std::floor(o.ceiling / o.floor)));
  g.brent_depth = cc ? 700 : 70;  // "accurate" cross-correlation; Hanning autocorrelation
  const double interpolation_depth = cc ? 1.0 : 0.5;
  g.dt = o.time_step > 0 ? o.time_step : o.periods_per_window / o.floor / 4.0;
  const double duration = g.dx * static_cast<double>(n);
  if (o.floor < o.periods_per_window / duration)
    throw std::invalid_argument("a sound of " + std::to_string(duration) + " s is too short for a pitch floor of " +
                                std::to_string(o.floor) + " Hz (it needs " + std::to_string(o.periods_per_window) +
                                " periods)");
  g.nsamp_period = static_cast<int64_t>(std::floor(1.0 / g.dx / o.floor));
  g.halfnsamp_period = g.nsamp_period / 2 + 1;
  g.dt_window = o.periods_per_window / o.floor;
  g.halfnsamp_window = static_cast<int64_t>(std::floor(g.dt_window / g.dx)) / 2 - 1;
  if (g.halfnsamp_window < 2) throw std::invalid_argument("the pitch analysis window is too short");
  g.nsamp_window = g.halfnsamp_window * 2;
  g.maximum_lag = std::min<int64_t>(static_cast<int64_t>(std::floor(g.nsamp_window / o.periods_per_window)) + 2,
                                    g.nsamp_window);
  // Sampled_shortTermAnalysis: as many frames as fit, centred in the sound.
  const double window_duration = cc ? 1.0 / o.floor + g.dt_window : g.dt_window;
  if (window_duration > duration) throw std::invalid_argument("the pitch analysis would give no frames");
  g.frames = static_cast<int64_t>(std::floor((duration - window_duration) / g.dt)) + 1;
  const double mid = 0.5 * g.dx - 0.5 * g.dx + 0.5 * duration;
  g.t1 = mid - 0.5 * static_cast<double>(g.frames) * g.dt + 0.5 * g.dt;
  g.brent_ixmax = static_cast<int64_t>(std::floor(static_cast<double>(g.nsamp_window) * interpolation_depth));
  if (!cc) {
    g.fft_size = 1;
    while (static_cast<double>(g.fft_size) < static_cast<double>(g.nsamp_window) * (1 + interpolation_depth))
      g.fft_size *= 2;
  }
  return g;
}

// |FFT|^2 then the inverse: the autocorrelation of a zero-padded frame.
class Autocorrelator {
 public:
  explicit Autocorrelator(int64_t n) : n_(n) {
    in_ = fftw_alloc_real(static_cast<size_t>(n));
    spectrum_ = fftw_alloc_complex(static_cast<size_t>(n / 2 + 1));
    std::lock_guard lock(fftw_planner_mutex());
    forward_ = fftw_plan_dft_r2c_1d(static_cast<int>(n), in_, spectrum_, FFTW_ESTIMATE);
    inverse_ = fftw_plan_dft_c2r_1d(static_cast<int>(n), spectrum_, in_, FFTW_ESTIMATE);
  }
  ~Autocorrelator() {
    std::lock_guard lock(fftw_planner_mutex());
    fftw_destroy_plan(forward_);
    fftw_destroy_plan(inverse_);
    fftw_free(in_);
    fftw_free(spectrum_);
  }
  Autocorrelator(const Autocorrelator&) = delete;
  Autocorrelator& operator=(const Autocorrelator&) = delete;
  // `frame` (zero-padded to n) to its autocorrelation at lags 0 .. n-1 (unscaled).
  const double* operator()(std::span<const double> frame) {
    std::fill(in_, in_ + n_, 0.0);
    std::copy(frame.begin(), frame.end(), in_);
    fftw_execute(forward_);
    for (int64_t k = 0; k <= n_ / 2; ++k) {
      spectrum_[k][0] = spectrum_[k][0] * spectrum_[k][0] + spectrum_[k][1] * spectrum_[k][1];
      spectrum_[k][1] = 0;
    }
    fftw_execute(inverse_);
    return in_;
  }

 private:
  int64_t n_;
  double* in_ = nullptr;
  fftw_complex* spectrum_ = nullptr;
  fftw_plan forward_ = nullptr, inverse_ = nullptr;
};

// sum a[i] b[i]; eight running sums so that the compiler can vectorise.
double dot(const double* a, const double* b, int64_t n) {
  double acc[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
  double sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

struct Candidate {
  double frequency = 0, strength = 0;
  int64_t lag = 0;  // the correlation maximum it was found at
};

// What is built once per analysis and reused frame by frame.
struct Analysis {
  const Geometry& g;
  const PraatPitchOptions& o;
  std::span<const double> x;
  double global_peak = 0;
  std::vector<double> window, window_r;  // Hanning and its normalised autocorrelation
  std::unique_ptr<Autocorrelator> ac;
  std::vector<double> frame, r;          // r: lags -brent_ixmax .. brent_ixmax
  std::vector<double> centred;           // cross-correlation: the frame's stretch less its local mean

  Analysis(const Geometry& geo, const PraatPitchOptions& opt, std::span<const double> samples);
  double correlate(double t);  // fills r for the frame at t; returns its intensity
  std::vector<Candidate> candidates(double intensity);
  double& r_at(int64_t lag) { return r[static_cast<size_t>(lag + g.brent_ixmax)]; }
};

Analysis::Analysis(const Geometry& geo, const PraatPitchOptions& opt, std::span<const double> samples)
    : g(geo), o(opt), x(samples), frame(static_cast<size_t>(geo.nsamp_window)),
      r(static_cast<size_t>(2 * geo.brent_ixmax + 1), 0.0) {
  double mean = 0;
  for (const double v : x) mean += v;
  mean /= static_cast<double>(x.size());
  for (const double v : x) global_peak = std::max(global_peak, std::abs(v - mean));
  if (o.method == PraatPitchMethod::cross_correlation) return;
  for (int64_t i = 1; i <= g.nsamp_window; ++i)
    window.push_back(0.5 - 0.5 * std::cos(static_cast<double>(i) * 2 * kPi / static_cast<double>(g.nsamp_window + 1)));
  ac = std::make_unique<Autocorrelator>(g.fft_size);
  const double* wr = (*ac)(window);
  window_r.assign(wr, wr + g.nsamp_window);
  const double w0 = window_r[0];
  for (double& v : window_r) v /= w0;
}

double Analysis::correlate(double t) {
  const double x1 = 0.5 * g.dx;
  const auto left = static_cast<int64_t>(std::floor((t - x1) / g.dx)), right = left + 1;  // 0-based
  const auto n = static_cast<int64_t>(x.size());
  const int64_t mean_from = right - g.nsamp_period, mean_to = left + g.nsamp_period;
  const int64_t frame_from = right - g.halfnsamp_window;
  if (mean_from < 0 || mean_to >= n || frame_from < 0 || frame_from + g.nsamp_window > n)
    throw std::logic_error("praat_pitch: a frame reaches outside the sound");
  double mean = 0;  // over one longest period on both sides
  for (int64_t i = mean_from; i <= mean_to; ++i) mean += x[static_cast<size_t>(i)];
  mean /= static_cast<double>(2 * g.nsamp_period);
  const bool cc = o.method == PraatPitchMethod::cross_correlation;
  for (int64_t j = 0; j < g.nsamp_window; ++j)
    frame[static_cast<size_t>(j)] = (x[static_cast<size_t>(frame_from + j)] - mean) * (cc ? 1.0 : window[static_cast<size_t>(j)]);
  double peak = 0;  // half a longest period on both sides of the centre
  const int64_t peak_from = std::max<int64_t>(1, g.halfnsamp_window + 1 - g.halfnsamp_period);
  const int64_t peak_to = std::min(g.nsamp_window, g.halfnsamp_window + g.halfnsamp_period);
  for (int64_t j = peak_from; j <= peak_to; ++j) peak = std::max(peak, std::abs(frame[static_cast<size_t>(j - 1)]));
  std::fill(r.begin(), r.end(), 0.0);
  r_at(0) = 1.0;
  if (cc) {
    const double start_time = t - 0.5 * (1.0 / o.floor + g.dt_window);
    const int64_t start = std::max<int64_t>(0, static_cast<int64_t>(std::floor((start_time - x1) / g.dx)));
    const int64_t span = std::min(g.maximum_lag + g.nsamp_window, n - start);
    const int64_t max_lag = std::min(span - g.nsamp_window, g.brent_ixmax);
    // The stretch with the local mean taken out, once.
    centred.resize(static_cast<size_t>(span));
    for (int64_t i = 0; i < span; ++i) centred[static_cast<size_t>(i)] = x[static_cast<size_t>(start + i)] - mean;
    const double* amp = centred.data();
    double sumx2 = 0;
    for (int64_t i = 0; i < g.nsamp_window; ++i) sumx2 += amp[i] * amp[i];
    double sumy2 = sumx2;
    for (int64_t lag = 1; lag <= max_lag; ++lag) {
      const double y0 = amp[lag - 1], yz = amp[lag - 1 + g.nsamp_window];
      sumy2 += yz * yz - y0 * y0;
      r_at(lag) = r_at(-lag) = dot(amp, amp + lag, g.nsamp_window) / std::sqrt(sumx2 * sumy2);
    }
  } else {
    const double* acv = (*ac)(frame);
    for (int64_t lag = 1; lag <= g.brent_ixmax; ++lag)
      r_at(lag) = r_at(-lag) = acv[lag] / (acv[0] * window_r[static_cast<size_t>(lag)]);
  }
  return peak > global_peak ? 1.0 : peak / global_peak;
}

std::vector<Candidate> Analysis::candidates(double intensity) {
  std::vector<Candidate> c(1);  // the first is always there: unvoiced
  if (intensity == 0) return c;  // absolute silence
  const auto cost = [&](double strength, double f) { return strength - o.octave_cost * std::log2(o.floor / f); };
  const double xoff = static_cast<double>(g.brent_ixmax) + 1;  // lag to 1-based position in r
  for (int64_t i = 2; i < g.maximum_lag && i < g.brent_ixmax; ++i) {
    const double ri = r_at(i), before = r_at(i - 1), after = r_at(i + 1);
    if (!(ri > 0.5 * o.voicing_threshold && ri > before && ri >= after)) continue;
    const double dr = 0.5 * (after - before), d2r = 2.0 * ri - before - after;
    const double f = 1.0 / g.dx / (static_cast<double>(i) + dr / d2r);
    double strength = sinc_interpolate(r, 1.0 / g.dx / f + xoff, 30);
    if (strength > 1.0) strength = 1.0 / strength;
    size_t place = 0;
    if (c.size() < static_cast<size_t>(g.max_candidates)) {
      c.emplace_back();
      place = c.size() - 1;
    } else {
      double weakest = 2.0;
      for (size_t k = 1; k < c.size(); ++k)
        if (const double s = cost(c[k].strength, c[k].frequency); s < weakest) weakest = s, place = k;
      if (cost(strength, f) <= weakest) place = 0;
    }
    if (place) c[place] = {f, strength, i};
  }
  // Refine each maximum on the sinc-interpolated correlation.
  for (size_t k = 1; k < c.size(); ++k) {
    const int depth = c[k].frequency > 0.3 / g.dx ? 700 : g.brent_depth;
    const double mid = static_cast<double>(c[k].lag) + xoff;
    double best = 0;
    const double at = minimize_brent([&](double p) { return -sinc_interpolate(r, p, depth); }, mid - 1, mid + 1,
                                     1e-10, best);
    c[k].frequency = 1.0 / g.dx / (at - xoff);
    const double y = -best;
    c[k].strength = y > 1.0 ? 1.0 / y : y;
  }
  return c;
}

// Praat's Pitch_pathFinder: the best path through each frame's candidates.
std::vector<PraatPitchFrame> path(const std::vector<std::vector<Candidate>>& frames, const std::vector<double>& intensity,
                                  const Geometry& g, const PraatPitchOptions& o) {
  const double per_step = 0.01 / g.dt, jump = o.octave_jump_cost * per_step, switch_cost = o.voiced_unvoiced_cost * per_step;
  const auto voiced = [&](double f) { return f > 0.0 && f < g.ceiling; };
  std::vector<std::vector<double>> delta(frames.size());
  std::vector<std::vector<size_t>> psi(frames.size());
  for (size_t t = 0; t < frames.size(); ++t) {
    double unvoiced = o.silence_threshold <= 0 ? 0 : 2 - intensity[t] / (o.silence_threshold / (1 + o.voicing_threshold));
    unvoiced = o.voicing_threshold + (unvoiced > 0 ? unvoiced : 0);
    for (const Candidate& c : frames[t])
      delta[t].push_back(voiced(c.frequency) ? c.strength - o.octave_cost * std::log2(g.ceiling / c.frequency) : unvoiced);
    psi[t].assign(frames[t].size(), 0);
  }
  for (size_t t = 1; t < frames.size(); ++t)
    for (size_t c2 = 0; c2 < frames[t].size(); ++c2) {
      const double f2 = frames[t][c2].frequency;
      double best = -1e30;
      for (size_t c1 = 0; c1 < frames[t - 1].size(); ++c1) {
        const double f1 = frames[t - 1][c1].frequency;
        const double cost = !voiced(f2) ? (voiced(f1) ? switch_cost : 0.0)
                            : !voiced(f1) ? switch_cost
                                          : jump * std::abs(std::log2(f1 / f2));
        const double value = delta[t - 1][c1] - cost + delta[t][c2];
        if (value > best) best = value, psi[t][c2] = c1;
      }
      delta[t][c2] = best;
    }
  std::vector<PraatPitchFrame> out(frames.size());
  size_t place = static_cast<size_t>(std::max_element(delta.back().begin(), delta.back().end()) - delta.back().begin());
  for (size_t t = frames.size(); t-- > 0;) {
    out[t] = {frames[t][place].frequency, frames[t][place].strength};
    place = psi[t][place];
  }
  return out;
}

}  // namespace

PraatPitch praat_pitch(std::span<const double> x, int sr, const PraatPitchOptions& o) {
  if (!(o.floor > 0 && o.ceiling > o.floor))
    throw std::invalid_argument("the pitch ceiling must be above the floor (and the floor above 0)");
  const Geometry g = geometry_of(static_cast<int64_t>(x.size()), sr, o);
  PraatPitch out;
  out.end = static_cast<double>(x.size()) / sr;
  out.first_time = g.t1;
  out.step = g.dt;
  out.ceiling = g.ceiling;
  out.frames.resize(static_cast<size_t>(g.frames));
  Analysis a(g, o, x);
  if (a.global_peak == 0) return out;  // silence: every frame unvoiced
  std::vector<std::vector<Candidate>> candidates;
  std::vector<double> intensity;
  for (int64_t i = 0; i < g.frames; ++i) {
    intensity.push_back(a.correlate(g.t1 + static_cast<double>(i) * g.dt));
    candidates.push_back(a.candidates(intensity.back()));
  }
  out.frames = path(candidates, intensity, g, o);
  return out;
}

double PraatPitch::value_at(double t) const {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (t < start || t > end || frames.empty()) return nan;
  const double real = (t - first_time) / step;  // 0-based frame position
  const auto left = static_cast<int64_t>(std::floor(real));
  double phase = real - static_cast<double>(left);
  int64_t nearest = left, far = left + 1;
  if (phase >= 0.5) nearest = left + 1, far = left, phase = 1.0 - phase;
  const auto n = static_cast<int64_t>(frames.size());
  if (nearest < 0 || nearest >= n || !voiced(static_cast<size_t>(nearest))) return nan;
  const double fn = frames[static_cast<size_t>(nearest)].frequency;
  if (far < 0 || far >= n || !voiced(static_cast<size_t>(far))) return fn;
  return fn + phase * (frames[static_cast<size_t>(far)].frequency - fn);
}

}  // namespace ser::dsp
