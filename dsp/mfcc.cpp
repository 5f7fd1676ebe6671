#include "dsp/mfcc.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace ser::dsp {

Matrix dct_matrix(int n_out, int n_in, bool ortho) {
  // cos(pi k (2n + 1) / 2N) takes 4N values, cos(pi m / 2N) for m = k (2n + 1)
  // mod 4N: a table of them rather than n_out * n_in calls of cos (a tenth
  // of a one-shot mfcc()), and exact reduction of the angle as a bonus.
  const int64_t period = 4 * static_cast<int64_t>(n_in);
  std::vector<double> cosines(static_cast<size_t>(period));
  for (int64_t m = 0; m < period; ++m)
    cosines[static_cast<size_t>(m)] = std::cos(std::numbers::pi * static_cast<double>(m) / (2.0 * n_in));
  Matrix d(n_out, n_in);
  for (int k = 0; k < n_out; ++k) {
    const double scale = !ortho ? 2.0 : k == 0 ? std::sqrt(1.0 / n_in) : std::sqrt(2.0 / n_in);
    for (int n = 0; n < n_in; ++n)
      d(k, n) = scale * cosines[static_cast<size_t>(static_cast<int64_t>(k) * (2 * n + 1) % period)];
  }
  return d;
}

MelSpectrogram::MelSpectrogram(double sr, const StftOptions& stft, const MelOptions& mel, double power)
    : stft_(stft), filters_(mel_filter_spans(sr, stft_.options().n_fft, mel)), power_(power) {}

namespace {
// Power spectra arrive kBlock frames at a time, bin-major, so that each
// filter weight meets kBlock frames in vector multiply-adds. Two running sums
// per frame (even and odd bins) keep two independent chains of additions.
constexpr int kMelBlock = 8;

void apply_filters(const std::vector<FilterSpan>& filters, const double* power, int64_t first_frame, int count,
                   Matrix& out) {
  for (size_t m = 0; m < filters.size(); ++m) {
    const double* w = filters[m].weights.data();
    const auto n = static_cast<int64_t>(filters[m].weights.size());
    const double* p = power + static_cast<int64_t>(filters[m].first) * kMelBlock;
    double even[kMelBlock] = {}, odd[kMelBlock] = {};
    int64_t i = 0;
    for (; i + 1 < n; i += 2)
      for (int j = 0; j < kMelBlock; ++j) {
        even[j] += w[i] * p[i * kMelBlock + j];
        odd[j] += w[i + 1] * p[(i + 1) * kMelBlock + j];
      }
    if (i < n)
      for (int j = 0; j < kMelBlock; ++j) even[j] += w[i] * p[i * kMelBlock + j];
    double* o = out.row(static_cast<int64_t>(m)) + first_frame;
    for (int j = 0; j < count; ++j) o[j] = even[j] + odd[j];
  }
}
}  // namespace

Matrix MelSpectrogram::operator()(std::span<const float> y) const {
  Matrix out(static_cast<int64_t>(filters_.size()), stft_.frame_count(static_cast<int64_t>(y.size())));
  const int64_t bins = stft_.bins();
  stft_.for_each_power_block(y, kMelBlock, [&](int64_t first, int count, double* power) {
    if (power_ != 2.0)  // |X|^power from |X|^2
      for (int64_t i = 0; i < bins * kMelBlock; ++i) power[i] = std::pow(std::sqrt(power[i]), power_);
    apply_filters(filters_, power, first, count, out);
  });
  return out;
}

Matrix melspectrogram(std::span<const float> y, double sr, const StftOptions& stft, const MelOptions& mel,
                      double power) {
  return MelSpectrogram(sr, stft, mel, power)(y);
}

namespace {
// The DCT's products, register-blocked: kDctK coefficients of kDctT frames
// are summed in registers over all bands, so each output is stored once
// (written row by row, the product spent its time storing partial sums).
// dt is one half of a DctPlan, [bands, coefficients], so a band's kDctK
// weights sit together.
constexpr int kDctK = 2, kDctT = 8;

// Coefficients of frames t0 .. t0 + kDctT - 1 of S (all of them present) into M.
void dct_frames(const Matrix& dt, const Matrix& S, int64_t t0, Matrix& M, int64_t m_t0) {
  const int64_t n_mfcc = dt.cols, bands = S.rows;
  int64_t k0 = 0;
  for (; k0 + kDctK <= n_mfcc; k0 += kDctK) {
    double acc[kDctK][kDctT] = {};
    for (int64_t n = 0; n < bands; ++n) {
      const double* s = S.row(n) + t0;
      const double* d = dt.row(n) + k0;
      for (int k = 0; k < kDctK; ++k)
        for (int j = 0; j < kDctT; ++j) acc[k][j] += d[k] * s[j];
    }
    for (int k = 0; k < kDctK; ++k) std::copy(acc[k], acc[k] + kDctT, M.row(k0 + k) + m_t0);
  }
  for (; k0 < n_mfcc; ++k0) {
    double acc[kDctT] = {};
    for (int64_t n = 0; n < bands; ++n)
      for (int j = 0; j < kDctT; ++j) acc[j] += dt(n, k0) * S(n, t0 + j);
    std::copy(acc, acc + kDctT, M.row(k0) + m_t0);
  }
}

// dt^T S for all frames of S: blocks of kDctT frames, the last few through a zero-padded block.
Matrix blocked_product(const Matrix& dt, const Matrix& S) {
  const int64_t rows = dt.cols, frames = S.cols;
  Matrix M(rows, frames);
  int64_t t0 = 0;
  for (; t0 + kDctT <= frames; t0 += kDctT) dct_frames(dt, S, t0, M, t0);
  if (t0 < frames) {
    const int64_t rest = frames - t0;
    Matrix s_rest(S.rows, kDctT), m_rest(rows, kDctT);
    for (int64_t n = 0; n < S.rows; ++n) std::copy(S.row(n) + t0, S.row(n) + frames, s_rest.row(n));
    dct_frames(dt, s_rest, 0, m_rest, 0);
    for (int64_t k = 0; k < rows; ++k) std::copy(m_rest.row(k), m_rest.row(k) + rest, M.row(k) + t0);
  }
  return M;
}

Matrix apply_dct(const DctPlan& plan, const Matrix& S, int lifter) {
  const int64_t bands = S.rows, frames = S.cols, half = bands / 2;
  if (bands != plan.bands)
    throw std::invalid_argument("DCT of " + std::to_string(plan.bands) + " bands given " + std::to_string(bands));
  // Row k of the DCT is even about the middle band for even k, odd for odd k:
  // even coefficients see S[n] + S[N-1-n], odd ones S[n] - S[N-1-n], half the products.
  Matrix sums(plan.even_t.rows, frames), differences(half, frames);
  for (int64_t n = 0; n < half; ++n) {
    const double *a = S.row(n), *b = S.row(bands - 1 - n);
    double *e = sums.row(n), *o = differences.row(n);
    for (int64_t t = 0; t < frames; ++t) {
      e[t] = a[t] + b[t];
      o[t] = a[t] - b[t];
    }
  }
  if (bands % 2 == 1) std::copy(S.row(half), S.row(half) + frames, sums.row(half));  // the middle band
  const Matrix even = blocked_product(plan.even_t, sums), odd = blocked_product(plan.odd_t, differences);
  Matrix M(plan.n_mfcc, frames);
  for (int64_t k = 0; k < plan.n_mfcc; ++k) {
    const double* from = k % 2 == 0 ? even.row(k / 2) : odd.row(k / 2);
    std::copy(from, from + frames, M.row(k));
  }
  if (lifter > 0) {
    for (int64_t k = 0; k < plan.n_mfcc; ++k) {
      const double li = 1.0 + (lifter / 2.0) * std::sin(std::numbers::pi * static_cast<double>(k + 1) / lifter);
      for (int64_t t = 0; t < frames; ++t) M(k, t) *= li;
    }
  }
  return M;
}

int checked_n_mfcc(int n_out, int n_in) {
  if (n_out < 1 || n_out > n_in)
    throw std::invalid_argument("n_mfcc must be between 1 and n_mels (" + std::to_string(n_in) + ")");
  return n_out;
}
}  // namespace

DctPlan::DctPlan(int n_out, int n_in, bool ortho)
    : n_mfcc(checked_n_mfcc(n_out, n_in)),
      bands(n_in),
      even_t((n_in + 1) / 2, (n_out + 1) / 2),
      odd_t(n_in / 2, n_out / 2) {
  const Matrix d = dct_matrix(n_out, n_in, ortho);
  for (int64_t n = 0; n < even_t.rows; ++n)
    for (int64_t i = 0; i < even_t.cols; ++i) even_t(n, i) = d(2 * i, n);
  for (int64_t n = 0; n < odd_t.rows; ++n)
    for (int64_t i = 0; i < odd_t.cols; ++i) odd_t(n, i) = d(2 * i + 1, n);
}

Matrix mfcc_from_db(const Matrix& S, int n_mfcc, int lifter, bool dct_ortho) {
  return apply_dct(DctPlan(n_mfcc, static_cast<int>(S.rows), dct_ortho), S, lifter);
}

void CepstrumOptions::register_settings(Settings& s) {
  s.integer("n_mfcc", n_mfcc, 1, kMaxMels, "MFCC coefficients (at most n_mels)");
  s.integer("lifter", lifter, 0, 10000, "cepstral liftering 1 + lifter/2 sin(pi (n+1) / lifter) (0: none)");
  s.choice("dct_norm", dct_ortho, {"none", "ortho"}, "the DCT's normalisation (librosa.feature.mfcc's norm)");
}

MfccExtractor::MfccExtractor(double sr, const MfccOptions& o)
    : o_(o), mel_(sr, o.stft, o.mel, 2.0), dct_(o.cepstrum.n_mfcc, o.mel.n_mels, o.cepstrum.dct_ortho) {}

Matrix MfccExtractor::operator()(std::span<const float> y) const {
  return apply_dct(dct_, power_to_db(mel_(y), o_.db), o_.cepstrum.lifter);
}

Matrix mfcc(std::span<const float> y, double sr, const MfccOptions& o) { return MfccExtractor(sr, o)(y); }

}  // namespace ser::dsp
