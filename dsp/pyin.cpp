#include "dsp/pyin.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace ser::dsp {

void PyinOptions::register_settings(Settings& s) {
  s.integer("pyin_thresholds", n_thresholds, 2, 10000, "YIN thresholds pyin weighs by its beta prior");
  s.number("pyin_beta_a", beta_a, 0.01, 1000, "first shape parameter of the beta prior over thresholds");
  s.number("pyin_beta_b", beta_b, 0.01, 1000, "second shape parameter of the beta prior over thresholds");
  s.number("pyin_boltzmann", boltzmann, 0.01, 1000, "Boltzmann parameter of the prior favouring short periods");
  s.number("pyin_resolution", resolution, 0.01, 1, "pitch bin width").unit("semitones");
  s.number("pyin_max_transition_rate", max_transition_rate, 0.01, 1000, "fastest pitch change, octaves per second");
  s.number("pyin_switch_prob", switch_prob, 0, 1, "probability of switching between voiced and unvoiced per frame");
  s.number("pyin_no_trough_prob", no_trough_prob, 0, 1,
           "weight given to the global minimum for thresholds no trough is below");
}

double PitchBins::frequency(int i) const { return fmin * std::pow(2.0, i / static_cast<double>(12 * per_semitone)); }

PitchBins pitch_bins(const PitchRange& r, const PyinOptions& o) {
  PitchBins b;
  b.per_semitone = static_cast<int>(std::ceil(1.0 / o.resolution));
  b.count = static_cast<int>(std::floor(12 * b.per_semitone * std::log2(r.fmax / r.fmin))) + 1;
  b.fmin = r.fmin;
  return b;
}

double beta_cdf(double x, double a, double b) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  // The continued fraction converges fast below the mean; above it, use I_x(a, b) = 1 - I_{1-x}(b, a).
  if (x > (a + 1) / (a + b + 2)) return 1 - beta_cdf(1 - x, b, a);
  const double front =
      std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x)) / a;
  // Lentz's evaluation of 1 / (1 + d1 / (1 + d2 / (1 + ...))).
  const double tiny = 1e-300;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  d = 1 / (std::abs(d) < tiny ? tiny : d);
  double f = d;
  for (int m = 1; m < 10000; ++m) {
    for (int odd = 0; odd < 2; ++odd) {
      const double num = odd ? -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
                             : m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
      d = 1 + num * d;
      d = 1 / (std::abs(d) < tiny ? tiny : d);
      c = 1 + num / c;
      if (std::abs(c) < tiny) c = tiny;
      f *= c * d;
      if (odd && std::abs(c * d - 1) < 1e-16) return front * f;
    }
  }
  return front * f;
}

namespace {

// numpy's pairwise summation (the order np.sum adds a contiguous row in).
double pairwise_sum(const double* a, size_t n) {
  if (n < 8) {
    double r = 0;
    for (size_t i = 0; i < n; ++i) r += a[i];
    return r;
  }
  if (n <= 128) {
    double r[8];
    for (size_t j = 0; j < 8; ++j) r[j] = a[j];
    size_t i = 8;
    for (; i < n - n % 8; i += 8)
      for (size_t j = 0; j < 8; ++j) r[j] += a[i + j];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  size_t half = n / 2;
  half -= half % 8;
  return pairwise_sum(a, half) + pairwise_sum(a + half, n - half);
}

// The prior mass of each threshold interval: diff of beta.cdf at linspace(0, 1, n + 1).
std::vector<double> threshold_prior(const PyinOptions& o) {
  std::vector<double> cdf(static_cast<size_t>(o.n_thresholds) + 1);
  const double step = 1.0 / o.n_thresholds;
  for (size_t i = 0; i < cdf.size(); ++i)
    cdf[i] = beta_cdf(i + 1 == cdf.size() ? 1.0 : static_cast<double>(i) * step, o.beta_a, o.beta_b);
  std::vector<double> p(static_cast<size_t>(o.n_thresholds));
  for (size_t i = 0; i < p.size(); ++i) p[i] = cdf[i + 1] - cdf[i];
  return p;
}

// Everything pyin_observations needs per frame, made once.
struct ObservationModel {
  YinLags lags;
  PitchBins bins;
  PyinOptions options;
  std::vector<double> thresholds, prior;  // thresholds[1..n], prior per interval
  int sample_rate = 0;

  ObservationModel(int sr, int frame_length, const PitchRange& r, const PyinOptions& o)
      : lags(yin_lags(sr, frame_length, r)), bins(pitch_bins(r, o)), options(o), prior(threshold_prior(o)),
        sample_rate(sr) {
    for (int i = 1; i <= o.n_thresholds; ++i)
      thresholds.push_back(i == o.n_thresholds ? 1.0 : static_cast<double>(i) * (1.0 / o.n_thresholds));
  }

  // The probability of each trough (index into `heights`) being the period.
  std::vector<double> trough_probabilities(const std::vector<double>& heights) const;
  // One frame's column: voiced bin probabilities, then the voiced probability.
  void column(std::span<const double> d, Matrix& out, int64_t t) const;
};

std::vector<double> ObservationModel::trough_probabilities(const std::vector<double>& h) const {
  const double lambda = options.boltzmann;
  std::vector<double> probs(h.size(), 0.0);
  for (size_t j = 0; j < thresholds.size(); ++j) {
    int below = 0;
    for (const double v : h) below += v < thresholds[j];
    if (below == 0) continue;
    // scipy.stats.boltzmann.pmf(position among the troughs below, lambda, below)
    const double fact = (1 - std::exp(-lambda)) / (1 - std::exp(-lambda * below));
    int position = 0;
    for (size_t i = 0; i < h.size(); ++i)
      if (h[i] < thresholds[j]) probs[i] += fact * std::exp(-lambda * position++) * prior[j];
  }
  const size_t lowest = static_cast<size_t>(std::min_element(h.begin(), h.end()) - h.begin());
  size_t none_below = 0;  // thresholds at or under the lowest trough
  for (const double thr : thresholds) none_below += !(h[lowest] < thr);
  probs[lowest] += options.no_trough_prob * pairwise_sum(prior.data(), none_below);
  return probs;
}

void ObservationModel::column(std::span<const double> d, Matrix& out, int64_t t) const {
  const std::vector<bool> trough = yin_troughs(d);
  std::vector<size_t> at;
  std::vector<double> heights;
  for (size_t i = 0; i < d.size(); ++i)
    if (trough[i]) at.push_back(i), heights.push_back(d[i]);
  if (at.empty()) return;  // unvoiced for sure: the column stays 0
  const std::vector<double> probs = trough_probabilities(heights);
  const std::vector<double> shift = parabolic_shifts(d);
  for (size_t c = 0; c < at.size(); ++c) {  // by increasing period: a later one in the same bin replaces it (numpy)
    if (probs[c] == 0) continue;
    const double period = (lags.min_period + static_cast<double>(at[c])) + shift[at[c]];
    const double f0 = sample_rate / period;
    const double bin = std::clamp(std::nearbyint(12 * bins.per_semitone * std::log2(f0 / bins.fmin)), 0.0,
                                  static_cast<double>(bins.count));
    // A candidate above the last bin lands on the first unvoiced state in
    // librosa and is overwritten there: it counts for nothing.
    if (bin < bins.count) out(static_cast<int64_t>(bin), t) = probs[c];
  }
  double voiced = 0;
  for (int b = 0; b < bins.count; ++b) voiced += out(b, t);
  out(bins.count, t) = std::clamp(voiced, 0.0, 1.0);
}

}  // namespace

Matrix pyin_observations(std::span<const float> y, int sr, const FrameOptions& f, PadMode pad_mode,
                         const PitchRange& range, const PyinOptions& o) {
  const ObservationModel model(sr, f.frame_length, range, o);
  const Frames frames = framed(y, f, pad_mode);
  Matrix out(model.bins.count + 1, frames.count);
  std::vector<double> d;
  for (int64_t t = 0; t < frames.count; ++t) {
    yin_difference(std::span(frames.padded).subspan(static_cast<size_t>(t * f.hop_length), f.frame_length),
                   model.lags, d);
    model.column(d, out, t);
  }
  return out;
}

namespace {

// scipy.signal.get_window('triangle', m, fftbins=False).
std::vector<double> triangle(int m) {
  std::vector<double> w;
  const int half = (m + 1) / 2;
  for (int n = 1; n <= half; ++n) w.push_back(m % 2 == 0 ? (2.0 * n - 1.0) / m : 2.0 * n / (m + 1.0));
  for (int i = m % 2 == 0 ? half - 1 : half - 2; i >= 0; --i) w.push_back(w[static_cast<size_t>(i)]);
  return w;
}

// librosa.sequence.transition_local(n, width, window='triangle', wrap=False),
// row by row as librosa builds it (centred window, rolled to the state, cut
// at the ends, rows normalised by numpy's sum).
Matrix local_transition(int n, int width) {
  if (width > n)
    throw std::invalid_argument("pyin: a pitch step of " + std::to_string(width) + " bins does not fit in " +
                                std::to_string(n) + " bins; widen pitch_fmin..pitch_fmax or lower " +
                                "pyin_max_transition_rate");
  const std::vector<double> w = triangle(width);
  Matrix t(n, n);
  std::vector<double> centred(static_cast<size_t>(n), 0.0), row(static_cast<size_t>(n));
  const int left = (n - width) / 2;
  for (int i = 0; i < width; ++i) centred[static_cast<size_t>(left + i)] = w[static_cast<size_t>(i)];
  for (int i = 0; i < n; ++i) {
    const int roll = n / 2 + i + 1;
    for (int k = 0; k < n; ++k) row[static_cast<size_t>((k + roll) % n)] = centred[static_cast<size_t>(k)];
    for (int k = std::min(n, i + width / 2 + 1); k < n; ++k) row[static_cast<size_t>(k)] = 0;
    for (int k = 0; k < std::max(0, i - width / 2); ++k) row[static_cast<size_t>(k)] = 0;
    const double sum = pairwise_sum(row.data(), row.size());
    for (int k = 0; k < n; ++k) t(i, k) = row[static_cast<size_t>(k)] / sum;
  }
  return t;
}

// log(P[state j | state k]) of librosa's kron(transition_loop(2, 1 - switch), local),
// kept as the two blocks it is made of and each column's rows that are not 0.
struct Transitions {
  int n = 0;
  Matrix stay, change;              // log(p * T + tiny), log((1 - p) * T + tiny): [from bin, to bin]
  std::vector<int> first, last;     // per column: the rows where T is not 0
  double zero = std::log(std::numeric_limits<double>::min());  // log(0 + tiny)
};

Transitions transitions(const PitchBins& bins, int sr, int hop, const PyinOptions& o) {
  const int semitones = static_cast<int>(std::nearbyint(o.max_transition_rate * 12 * hop / sr));
  const Matrix local = local_transition(bins.count, semitones * bins.per_semitone + 1);
  const double stay = 1 - o.switch_prob, change = (1.0 - stay) / (2 - 1);  // as transition_loop computes them
  const double tiny = std::numeric_limits<double>::min();
  Transitions t{bins.count, Matrix(bins.count, bins.count), Matrix(bins.count, bins.count), {}, {}};
  for (int j = 0; j < t.n; ++j) {
    int first = t.n, last = -1;
    for (int k = 0; k < t.n; ++k) {
      t.stay(k, j) = std::log(stay * local(k, j) + tiny);
      t.change(k, j) = std::log(change * local(k, j) + tiny);
      if (local(k, j) != 0) first = std::min(first, k), last = k;
    }
    t.first.push_back(first);
    t.last.push_back(last);
  }
  return t;
}

// The running maximum of a block of values from the left and from the right,
// with the first index that holds it (numpy's argmax).
struct RunningMax {
  std::vector<double> value;
  std::vector<int> at;
};
RunningMax from_left(const double* v, int n) {  // [i]: over [0, i)
  RunningMax m{std::vector<double>(static_cast<size_t>(n) + 1, -HUGE_VAL), std::vector<int>(static_cast<size_t>(n) + 1, -1)};
  for (int i = 0; i < n; ++i) {
    const bool better = v[i] > m.value[static_cast<size_t>(i)];
    m.value[static_cast<size_t>(i) + 1] = better ? v[i] : m.value[static_cast<size_t>(i)];
    m.at[static_cast<size_t>(i) + 1] = better ? i : m.at[static_cast<size_t>(i)];
  }
  return m;
}
RunningMax from_right(const double* v, int n) {  // [i]: over [i, n), the first index of the maximum
  RunningMax m{std::vector<double>(static_cast<size_t>(n) + 1, -HUGE_VAL), std::vector<int>(static_cast<size_t>(n) + 1, -1)};
  for (int i = n - 1; i >= 0; --i) {
    const bool better = v[i] >= m.value[static_cast<size_t>(i) + 1];
    m.value[static_cast<size_t>(i)] = better ? v[i] : m.value[static_cast<size_t>(i) + 1];
    m.at[static_cast<size_t>(i)] = better ? i : m.at[static_cast<size_t>(i) + 1];
  }
  return m;
}

// One Viterbi step: for each state, the best previous state (the first of
// equals, as numpy's argmax) and the value through it. Outside a column's
// band every transition is log(tiny), so the best there is a running maximum.
void viterbi_step(const Transitions& tr, const std::vector<double>& prev, const std::vector<double>& log_obs,
                  std::vector<double>& next, int* ptr) {
  const int n = tr.n;
  const RunningMax left[2] = {from_left(prev.data(), n), from_left(prev.data() + n, n)};
  const RunningMax right[2] = {from_right(prev.data(), n), from_right(prev.data() + n, n)};
  for (int j = 0; j < 2 * n; ++j) {
    const int to_block = j / n, col = j % n, lo = tr.first[static_cast<size_t>(col)], hi = tr.last[static_cast<size_t>(col)];
    double best = -HUGE_VAL;
    int arg = 0;
    const auto consider = [&](double v, int k) {
      if (v > best) best = v, arg = k;
    };
    for (int from_block = 0; from_block < 2; ++from_block) {
      const int base = from_block * n;
      const Matrix& logt = from_block == to_block ? tr.stay : tr.change;
      if (lo > 0) consider(left[from_block].value[static_cast<size_t>(lo)] + tr.zero, base + left[from_block].at[static_cast<size_t>(lo)]);
      for (int k = lo; k <= hi; ++k) consider(prev[static_cast<size_t>(base + k)] + logt(k, col), base + k);
      if (hi + 1 < n) consider(right[from_block].value[static_cast<size_t>(hi) + 1] + tr.zero, base + right[from_block].at[static_cast<size_t>(hi) + 1]);
    }
    ptr[j] = arg;
    next[static_cast<size_t>(j)] = log_obs[static_cast<size_t>(j)] + best;
  }
}

// log(p + tiny) of frame t's voiced bins, then its unvoiced states (1 - voiced) / bins.
void log_observation(const Matrix& obs, int64_t t, int n, std::vector<double>& out) {
  const double tiny = std::numeric_limits<double>::min();
  const double unvoiced = (1 - obs(n, t)) / n;
  for (int b = 0; b < n; ++b) {
    out[static_cast<size_t>(b)] = std::log(obs(b, t) + tiny);
    out[static_cast<size_t>(n + b)] = std::log(unvoiced + tiny);
  }
}

}  // namespace

PyinTrack pyin_decode(const Matrix& obs, int sr, int hop, const PitchRange& range, const PyinOptions& o) {
  const PitchBins bins = pitch_bins(range, o);
  if (obs.rows != bins.count + 1)
    throw std::invalid_argument("pyin_decode: observations of " + std::to_string(obs.rows) + " rows, expected " +
                                std::to_string(bins.count + 1));
  PyinTrack track;
  if (obs.cols == 0) return track;
  const Transitions tr = transitions(bins, sr, hop, o);
  const int n = bins.count;
  const double tiny = std::numeric_limits<double>::min();
  std::vector<double> value(2 * static_cast<size_t>(n)), next(value.size()), log_obs(value.size());
  std::vector<int> ptr(static_cast<size_t>(obs.cols) * value.size());
  log_observation(obs, 0, n, log_obs);
  for (int j = 0; j < 2 * n; ++j)  // p_init: uniform over the unvoiced states
    value[static_cast<size_t>(j)] = log_obs[static_cast<size_t>(j)] + std::log((j < n ? 0.0 : 1.0 / n) + tiny);
  for (int64_t t = 1; t < obs.cols; ++t) {
    log_observation(obs, t, n, log_obs);
    viterbi_step(tr, value, log_obs, next, ptr.data() + t * 2 * n);
    value.swap(next);
  }
  track.state.resize(static_cast<size_t>(obs.cols));
  track.state.back() = static_cast<int>(std::max_element(value.begin(), value.end()) - value.begin());
  track.log_probability = value[static_cast<size_t>(track.state.back())];
  for (int64_t t = obs.cols - 2; t >= 0; --t)
    track.state[static_cast<size_t>(t)] = ptr[static_cast<size_t>((t + 1) * 2 * n + track.state[static_cast<size_t>(t) + 1])];
  for (int64_t t = 0; t < obs.cols; ++t) {
    const int s = track.state[static_cast<size_t>(t)];
    track.f0.push_back(bins.frequency(s % n));
    track.voiced.push_back(s < n);
    track.voiced_probability.push_back(obs(n, t));
  }
  return track;
}

double pyin_path_log_probability(const Matrix& obs, const std::vector<int>& states, int sr, int hop,
                                 const PitchRange& range, const PyinOptions& o) {
  const PitchBins bins = pitch_bins(range, o);
  const Transitions tr = transitions(bins, sr, hop, o);
  const int n = bins.count;
  std::vector<double> log_obs(2 * static_cast<size_t>(n));
  const auto log_transition = [&](int from, int to) {
    return ((from < n) == (to < n) ? tr.stay : tr.change)(from % n, to % n);
  };
  log_observation(obs, 0, n, log_obs);
  double v = log_obs[static_cast<size_t>(states[0])] +
             std::log((states[0] < n ? 0.0 : 1.0 / n) + std::numeric_limits<double>::min());
  for (int64_t t = 1; t < obs.cols; ++t) {
    log_observation(obs, t, n, log_obs);
    const auto i = static_cast<size_t>(t);
    v = log_obs[static_cast<size_t>(states[i])] + (v + log_transition(states[i - 1], states[i]));
  }
  return v;
}

Matrix pyin_rows(const PyinTrack& track) {
  Matrix out(3, static_cast<int64_t>(track.f0.size()));
  for (int64_t t = 0; t < out.cols; ++t) {
    const auto i = static_cast<size_t>(t);
    out(0, t) = track.voiced[i] ? track.f0[i] : 0.0;
    out(1, t) = track.voiced[i] ? 1.0 : 0.0;
    out(2, t) = track.voiced_probability[i];
  }
  return out;
}

Matrix pyin(std::span<const float> y, int sr, const FrameOptions& f, PadMode pad_mode, const PitchRange& range,
            const PyinOptions& o) {
  return pyin_rows(pyin_decode(pyin_observations(y, sr, f, pad_mode, range, o), sr, f.hop_length, range, o));
}

}  // namespace ser::dsp
