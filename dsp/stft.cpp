#include "dsp/stft.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <numbers>
#include <stdexcept>

namespace ser::dsp {

namespace {
// FFTW's planner is not thread-safe; executing a plan is.
std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

struct FftwFree {
  void operator()(double* p) const { fftw_free(p); }
  void operator()(fftw_complex* p) const { fftw_free(p); }
};
}  // namespace

WindowKind parse_window(const std::string& name) {
  if (name == "hann") return WindowKind::hann;
  if (name == "hamming") return WindowKind::hamming;
  if (name == "rectangular" || name == "boxcar" || name == "ones") return WindowKind::rectangular;
  throw std::invalid_argument("unknown window '" + name + "' (hann, hamming, rectangular)");
}

PadMode parse_pad_mode(const std::string& name) {
  if (name == "constant") return PadMode::constant;
  if (name == "reflect") return PadMode::reflect;
  if (name == "edge") return PadMode::edge;
  throw std::invalid_argument("unknown pad mode '" + name + "' (constant, reflect, edge)");
}

std::vector<double> periodic_window(WindowKind kind, int length) {
  if (length < 1) throw std::invalid_argument("window length must be >= 1");
  std::vector<double> w(static_cast<size_t>(length));
  // scipy's general_cosine on linspace(-pi, pi, length + 1) with the last point dropped.
  const double step = 2 * std::numbers::pi / length;
  for (int n = 0; n < length; ++n) {
    const double fac = -std::numbers::pi + n * step;
    switch (kind) {
      case WindowKind::hann:
        w[static_cast<size_t>(n)] = 0.5 + 0.5 * std::cos(fac);
        break;
      case WindowKind::hamming:
        w[static_cast<size_t>(n)] = 0.54 + 0.46 * std::cos(fac);
        break;
      case WindowKind::rectangular:
        w[static_cast<size_t>(n)] = 1.0;
        break;
    }
  }
  return w;
}

std::vector<double> pad_signal(std::span<const float> y, int64_t before, int64_t after, PadMode mode) {
  const int64_t n = static_cast<int64_t>(y.size());
  std::vector<double> out(static_cast<size_t>(n + before + after), 0.0);
  for (int64_t i = 0; i < n; ++i) out[static_cast<size_t>(before + i)] = y[static_cast<size_t>(i)];
  if (mode == PadMode::constant || n == 0) return out;
  auto source = [&](int64_t i) -> double {  // i is an index into y, possibly outside [0, n)
    if (mode == PadMode::edge || n == 1) return y[static_cast<size_t>(std::clamp<int64_t>(i, 0, n - 1))];
    // numpy's reflect (mirror without repeating the edge), periodic with 2(n-1)
    const int64_t period = 2 * (n - 1);
    int64_t k = ((i % period) + period) % period;
    if (k >= n) k = period - k;
    return y[static_cast<size_t>(k)];
  };
  for (int64_t i = 0; i < before; ++i) out[static_cast<size_t>(i)] = source(i - before);
  for (int64_t i = 0; i < after; ++i) out[static_cast<size_t>(before + n + i)] = source(n + i);
  return out;
}

struct Stft::Plan {
  fftw_plan plan = nullptr;
};

Stft::Stft(const StftOptions& options)
    : o_(options), plan_(std::make_unique<Plan>()), inverse_plan_(std::make_unique<Plan>()) {
  if (o_.n_fft < 2) throw std::invalid_argument("n_fft must be >= 2");
  if (o_.hop_length == 0) o_.hop_length = o_.n_fft / 4;
  if (o_.win_length == 0) o_.win_length = o_.n_fft;
  if (o_.hop_length < 1) throw std::invalid_argument("hop_length must be >= 1");
  if (o_.win_length < 1 || o_.win_length > o_.n_fft)
    throw std::invalid_argument("win_length must be between 1 and n_fft (" + std::to_string(o_.n_fft) + ")");
  // librosa.util.pad_center: the window sits in the middle of n_fft.
  const auto w = periodic_window(o_.window, o_.win_length);
  window_.assign(static_cast<size_t>(o_.n_fft), 0.0);
  const int lpad = (o_.n_fft - o_.win_length) / 2;
  for (int i = 0; i < o_.win_length; ++i) window_[static_cast<size_t>(lpad + i)] = w[static_cast<size_t>(i)];

  std::unique_ptr<double, FftwFree> in(fftw_alloc_real(static_cast<size_t>(o_.n_fft)));
  std::unique_ptr<fftw_complex, FftwFree> out(fftw_alloc_complex(static_cast<size_t>(bins())));
  std::lock_guard lock(planner_mutex());
  plan_->plan = fftw_plan_dft_r2c_1d(o_.n_fft, in.get(), out.get(), FFTW_ESTIMATE);
  inverse_plan_->plan = fftw_plan_dft_c2r_1d(o_.n_fft, out.get(), in.get(), FFTW_ESTIMATE);
  if (!plan_->plan || !inverse_plan_->plan)
    throw std::runtime_error("FFTW could not plan a transform of size " + std::to_string(o_.n_fft));
}

Stft::~Stft() {
  std::lock_guard lock(planner_mutex());
  for (Plan* p : {plan_.get(), inverse_plan_.get()})
    if (p && p->plan) fftw_destroy_plan(p->plan);
}

int64_t Stft::frame_count(int64_t samples) const {
  const int64_t padded = o_.center ? samples + 2 * (o_.n_fft / 2) : samples;
  return padded < o_.n_fft ? 0 : 1 + (padded - o_.n_fft) / o_.hop_length;
}

template <typename F>
void Stft::for_each_frame(std::span<const float> y, F&& f) const {
  if (!o_.center && static_cast<int64_t>(y.size()) < o_.n_fft)
    throw std::invalid_argument("n_fft=" + std::to_string(o_.n_fft) +
                                " is too large for uncentered analysis of a signal of " + std::to_string(y.size()) +
                                " samples (use a smaller n_fft or centre the frames)");
  if (y.empty()) throw std::invalid_argument("cannot analyse an empty signal");
  const int64_t pad = o_.center ? o_.n_fft / 2 : 0;
  const std::vector<double> x = pad_signal(y, pad, pad, o_.pad_mode);
  const int64_t frames = frame_count(static_cast<int64_t>(y.size()));
  std::unique_ptr<double, FftwFree> buf(fftw_alloc_real(static_cast<size_t>(o_.n_fft)));
  std::unique_ptr<fftw_complex, FftwFree> spec(fftw_alloc_complex(static_cast<size_t>(bins())));
  for (int64_t t = 0; t < frames; ++t) {
    const double* src = x.data() + t * o_.hop_length;
    for (int k = 0; k < o_.n_fft; ++k) buf.get()[k] = src[k] * window_[static_cast<size_t>(k)];
    fftw_execute_dft_r2c(plan_->plan, buf.get(), spec.get());
    f(t, static_cast<const fftw_complex*>(spec.get()));
  }
}

Matrix Stft::spectrogram(std::span<const float> y, double power) const {
  Matrix S(bins(), frame_count(static_cast<int64_t>(y.size())));
  for_each_frame(y, [&](int64_t t, const fftw_complex* spec) {
    for (int b = 0; b < bins(); ++b) {
      const double re = spec[b][0], im = spec[b][1];
      const double p = re * re + im * im;
      S(b, t) = power == 2.0 ? p : power == 1.0 ? std::sqrt(p) : std::pow(std::sqrt(p), power);
    }
  });
  return S;
}

ComplexMatrix Stft::transform(std::span<const float> y) const {
  ComplexMatrix D(bins(), frame_count(static_cast<int64_t>(y.size())));
  for_each_frame(y, [&](int64_t t, const fftw_complex* spec) {
    for (int b = 0; b < bins(); ++b) D(b, t) = {spec[b][0], spec[b][1]};
  });
  return D;
}

std::vector<float> Stft::inverse(const ComplexMatrix& D, int64_t length) const {
  if (D.rows != bins())
    throw std::invalid_argument("istft: spectrum has " + std::to_string(D.rows) + " bins, not " +
                                std::to_string(bins()));
  const int n = o_.n_fft, hop = o_.hop_length;
  const int64_t padded_length = o_.center ? length + 2 * (n / 2) : length;
  const int64_t frames = std::min<int64_t>(D.cols, (padded_length + hop - 1) / hop);
  const int64_t total = n + hop * std::max<int64_t>(frames - 1, 0);
  std::vector<double> y(static_cast<size_t>(total), 0.0), window_sum(static_cast<size_t>(total), 0.0);
  std::unique_ptr<double, FftwFree> buf(fftw_alloc_real(static_cast<size_t>(n)));
  std::unique_ptr<fftw_complex, FftwFree> spec(fftw_alloc_complex(static_cast<size_t>(bins())));
  for (int64_t t = 0; t < frames; ++t) {
    for (int b = 0; b < bins(); ++b) {
      spec.get()[b][0] = D(b, t).real();
      spec.get()[b][1] = D(b, t).imag();
    }
    fftw_execute_dft_c2r(inverse_plan_->plan, spec.get(), buf.get());  // unnormalised: divide by n
    for (int k = 0; k < n; ++k) {
      const double w = window_[static_cast<size_t>(k)];
      y[static_cast<size_t>(t * hop + k)] += buf.get()[k] / n * w;
      window_sum[static_cast<size_t>(t * hop + k)] += w * w;
    }
  }
  for (size_t i = 0; i < y.size(); ++i)
    if (window_sum[i] > std::numeric_limits<double>::min()) y[i] /= window_sum[i];
  const int64_t start = o_.center ? n / 2 : 0;
  std::vector<float> out(static_cast<size_t>(length), 0.0f);  // librosa.util.fix_length
  for (int64_t i = 0; i < length && start + i < total; ++i)
    out[static_cast<size_t>(i)] = static_cast<float>(y[static_cast<size_t>(start + i)]);
  return out;
}

}  // namespace ser::dsp
