#include "dsp/stft.hpp"

#include <fftw3.h>

#include "dsp/lane_fft.hpp"
#ifdef __AVX__
#include <immintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <numbers>
#include <stdexcept>
#include <type_traits>

namespace ser::dsp {

std::mutex& fftw_planner_mutex() {
  static std::mutex m;
  return m;
}

namespace {
std::mutex& planner_mutex() { return fftw_planner_mutex(); }

struct FftwFree {
  void operator()(void* p) const { fftw_free(p); }
};

// FFTW's double (fftw_) and single (fftwf_) interfaces under one name.
template <typename Real>
struct Fftw;
template <>
struct Fftw<double> {
  using Plan = fftw_plan;
  static double* real(size_t n) { return fftw_alloc_real(n); }
  static double* complex(size_t n) { return reinterpret_cast<double*>(fftw_alloc_complex(n)); }
  static Plan r2c(int n, double* in, double* out) {
    return fftw_plan_dft_r2c_1d(n, in, reinterpret_cast<fftw_complex*>(out), FFTW_ESTIMATE);
  }
  static Plan c2r(int n, double* in, double* out) {
    return fftw_plan_dft_c2r_1d(n, reinterpret_cast<fftw_complex*>(in), out, FFTW_ESTIMATE);
  }
  static void forward(Plan p, double* in, double* out) {
    fftw_execute_dft_r2c(p, in, reinterpret_cast<fftw_complex*>(out));
  }
  static void backward(Plan p, double* in, double* out) {
    fftw_execute_dft_c2r(p, reinterpret_cast<fftw_complex*>(in), out);
  }
  static void destroy(Plan p) { fftw_destroy_plan(p); }
};
template <>
struct Fftw<float> {
  using Plan = fftwf_plan;
  static float* real(size_t n) { return fftwf_alloc_real(n); }
  static float* complex(size_t n) { return reinterpret_cast<float*>(fftwf_alloc_complex(n)); }
  static Plan r2c(int n, float* in, float* out) {
    return fftwf_plan_dft_r2c_1d(n, in, reinterpret_cast<fftwf_complex*>(out), FFTW_ESTIMATE);
  }
  static void forward(Plan p, float* in, float* out) {
    fftwf_execute_dft_r2c(p, in, reinterpret_cast<fftwf_complex*>(out));
  }
  static void destroy(Plan p) { fftwf_destroy_plan(p); }
};

template <typename Real>
using FftwBuffer = std::unique_ptr<Real, FftwFree>;

// out = src * w in double, rounded to Real: the inner loop of every STFT.
template <typename Real>
void window_frame(const float* src, const double* w, Real* out, int n) {
  int k = 0;
#ifdef __AVX__
  // Written out: GCC's own vectorisation of this loop for znver1 (128-bit)
  // widened the floats through the stack, half the loop's time.
  if constexpr (std::is_same_v<Real, double>)
    for (; k + 4 <= n; k += 4)
      _mm256_storeu_pd(out + k, _mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(src + k)), _mm256_loadu_pd(w + k)));
#endif
  for (; k < n; ++k) out[k] = static_cast<Real>(src[k] * w[k]);
}
}  // namespace

void StftOptions::register_settings(Settings& s) {
  s.integer("n_fft", n_fft, 2, kMaxFft, "FFT size (also the frame length of zcr and rms)");
  s.integer("hop", hop_length, 1, kMaxFft, "hop between frames").special(0, "n_fft/4");
  s.integer("win_length", win_length, 1, kMaxFft, "window length, centred in n_fft").special(0, "n_fft");
  s.choice("window", window, {"hann", "hamming", "rectangular"}, "window function (scipy.signal.get_window)");
  s.flag("center", center, "centre frames on their sample (pad n_fft/2 on both sides)");
  s.choice("pad_mode", pad_mode, {"constant", "reflect", "edge"}, "padding when frames are centred");
  s.choice("precision", precision, {"single", "double"},
           "FFT arithmetic: single as librosa on float32 audio, double as on float64");
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

// Each plan is made on first use: an MFCC extractor never inverts, and a
// single-precision one transforms in double only for transform(). Planning
// was a quarter of a one-shot mfcc() call.
struct Stft::Plans {
  int n_fft = 0;
  fftw_plan forward = nullptr, inverse = nullptr;  // double precision (the inverse is always double)
  fftwf_plan forward_single = nullptr;
  std::unique_ptr<LaneFft> lanes;  // single precision, power-of-two sizes: power spectra eight frames at a time
  std::once_flag forward_made, inverse_made, single_made, lanes_made;
  size_t size() const { return static_cast<size_t>(n_fft); }
  size_t bins() const { return static_cast<size_t>(n_fft / 2 + 1); }

  template <typename Plan, typename Make>
  static Plan make_once(std::once_flag& made, Plan& plan, int n_fft, Make make) {
    std::call_once(made, [&] {
      std::lock_guard lock(planner_mutex());
      plan = make();
      if (!plan) throw std::runtime_error("FFTW could not plan a transform of size " + std::to_string(n_fft));
    });
    return plan;
  }
  fftw_plan forward_plan() {
    return make_once(forward_made, forward, n_fft, [&] {
      FftwBuffer<double> in(Fftw<double>::real(size())), out(Fftw<double>::complex(bins()));
      return Fftw<double>::r2c(n_fft, in.get(), out.get());
    });
  }
  fftw_plan inverse_plan() {
    return make_once(inverse_made, inverse, n_fft, [&] {
      FftwBuffer<double> in(Fftw<double>::real(size())), out(Fftw<double>::complex(bins()));
      return Fftw<double>::c2r(n_fft, out.get(), in.get());
    });
  }
  const LaneFft& lane_fft() {
    std::call_once(lanes_made, [&] { lanes = std::make_unique<LaneFft>(n_fft); });
    return *lanes;
  }
  fftwf_plan single_plan() {
    return make_once(single_made, forward_single, n_fft, [&] {
      FftwBuffer<float> in(Fftw<float>::real(size())), out(Fftw<float>::complex(bins()));
      return Fftw<float>::r2c(n_fft, in.get(), out.get());
    });
  }
};

Stft::Stft(const StftOptions& options) : o_(options), plans_(std::make_unique<Plans>()) {
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
  if (uses_lanes()) window_single_.assign(window_.begin(), window_.end());
  plans_->n_fft = o_.n_fft;
  // The plan this precision's spectra use, now: a size FFTW cannot plan is refused here.
  if (o_.precision == Precision::double_)
    plans_->forward_plan();
  else if (uses_lanes())
    plans_->lane_fft();
  else
    plans_->single_plan();
}

Stft::~Stft() {
  std::lock_guard lock(planner_mutex());
  if (plans_->forward) Fftw<double>::destroy(plans_->forward);
  if (plans_->inverse) Fftw<double>::destroy(plans_->inverse);
  if (plans_->forward_single) Fftw<float>::destroy(plans_->forward_single);
}

bool Stft::uses_lanes() const {
  return LaneFft::kVectorised && o_.precision == Precision::single && LaneFft::supports(o_.n_fft);
}

int64_t Stft::frame_count(int64_t samples) const {
  const int64_t padded = o_.center ? samples + 2 * (o_.n_fft / 2) : samples;
  return padded < o_.n_fft ? 0 : 1 + (padded - o_.n_fft) / o_.hop_length;
}

namespace {
// Where each frame's n_fft samples come from: the signal itself, or (for
// the frames that overlap the centring's padding) a padded copy of one of
// its ends, of the whole signal when it is short. The copies are float: the
// padding repeats or mirrors samples of y, or is zero, so nothing is rounded.
class FrameSource {
 public:
  FrameSource(std::span<const float> y, const StftOptions& o) : y_(y), n_fft_(o.n_fft), hop_(o.hop_length) {
    const auto n = static_cast<int64_t>(y.size());
    if (!o.center && n < o.n_fft)
      throw std::invalid_argument("n_fft=" + std::to_string(o.n_fft) +
                                  " is too large for uncentered analysis of a signal of " + std::to_string(y.size()) +
                                  " samples (use a smaller n_fft or centre the frames)");
    if (y.empty()) throw std::invalid_argument("cannot analyse an empty signal");
    pad_ = o.center ? o.n_fft / 2 : 0;
    edge_ = o.n_fft + o.hop_length;
    short_ = n < 2 * edge_;
    if (short_) {
      whole_ = as_float(pad_signal(y, pad_, pad_, o.pad_mode));
    } else {
      head_ = as_float(pad_signal(y.first(static_cast<size_t>(edge_)), pad_, 0, o.pad_mode));
      tail_ = as_float(pad_signal(y.last(static_cast<size_t>(edge_)), 0, pad_, o.pad_mode));
    }
  }
  // The first of frame t's n_fft samples.
  const float* frame(int64_t t) const {
    const auto n = static_cast<int64_t>(y_.size());
    const int64_t start = t * hop_ - pad_;  // in signal coordinates
    if (short_) return whole_.data() + (start + pad_);
    if (start >= 0 && start + n_fft_ <= n) return y_.data() + start;
    if (start < 0) return head_.data() + (start + pad_);  // reaches into the front padding
    return tail_.data() + (start - (n - edge_));          // into the back padding
  }

 private:
  static std::vector<float> as_float(const std::vector<double>& v) { return {v.begin(), v.end()}; }
  std::span<const float> y_;
  int64_t n_fft_, hop_, pad_ = 0, edge_ = 0;
  bool short_ = false;
  std::vector<float> whole_, head_, tail_;
};
}  // namespace

template <typename Real, typename F>
void Stft::for_each_frame(std::span<const float> y, F&& f) const {
  const FrameSource source(y, o_);
  const int64_t frames = frame_count(static_cast<int64_t>(y.size()));
  FftwBuffer<Real> buf(Fftw<Real>::real(static_cast<size_t>(o_.n_fft)));
  FftwBuffer<Real> spec(Fftw<Real>::complex(static_cast<size_t>(bins())));
  typename Fftw<Real>::Plan plan;
  if constexpr (std::is_same_v<Real, float>)
    plan = plans_->single_plan();
  else
    plan = plans_->forward_plan();
  for (int64_t t = 0; t < frames; ++t) {
    window_frame(source.frame(t), window_.data(), buf.get(), o_.n_fft);
    Fftw<Real>::forward(plan, buf.get(), spec.get());
    f(t, static_cast<const Real*>(spec.get()));
  }
}

void Stft::for_each_power_block(std::span<const float> y, int block, const PowerSink& sink) const {
  if (block < 1) throw std::invalid_argument("power block must hold at least one frame");
  const int64_t frames = frame_count(static_cast<int64_t>(y.size()));
  std::vector<double> power(static_cast<size_t>(bins()) * static_cast<size_t>(block));
  if (uses_lanes() && block == LaneFft::kLanes) {
    const LaneFft& lanes = plans_->lane_fft();
    const FrameSource source(y, o_);
    std::vector<float> scratch;
    for (int64_t first = 0; first < frames; first += block) {
      const auto count = static_cast<int>(std::min<int64_t>(block, frames - first));
      const float* f[LaneFft::kLanes];
      for (int j = 0; j < block; ++j) f[j] = source.frame(first + std::min(j, count - 1));  // a short block repeats its last frame
      lanes.power(f, window_single_.data(), power.data(), scratch);
      sink(first, count, power.data());
    }
    return;
  }
  auto store = [&](int64_t t, const auto* spec) {
    const auto j = static_cast<int>(t % block);
    double* column = power.data() + j;
    for (int b = 0; b < bins(); ++b) {
      const double re = spec[2 * b], im = spec[2 * b + 1];
      column[static_cast<size_t>(b) * static_cast<size_t>(block)] = re * re + im * im;
    }
    if (j == block - 1 || t == frames - 1) sink(t - j, j + 1, power.data());
  };
  if (o_.precision == Precision::single)
    for_each_frame<float>(y, store);
  else
    for_each_frame<double>(y, store);
}

Matrix Stft::spectrogram(std::span<const float> y, double power) const {
  Matrix S(bins(), frame_count(static_cast<int64_t>(y.size())));
  constexpr int kBlock = 8;
  for_each_power_block(y, kBlock, [&](int64_t first, int count, double* p) {
    for (int b = 0; b < bins(); ++b)
      for (int j = 0; j < count; ++j) {
        const double v = p[b * kBlock + j];
        S(b, first + j) = power == 2.0 ? v : power == 1.0 ? std::sqrt(v) : std::pow(std::sqrt(v), power);
      }
  });
  return S;
}

ComplexMatrix Stft::transform(std::span<const float> y) const {
  ComplexMatrix D(bins(), frame_count(static_cast<int64_t>(y.size())));
  for_each_frame<double>(y, [&](int64_t t, const double* spec) {
    for (int b = 0; b < bins(); ++b) D(b, t) = {spec[2 * b], spec[2 * b + 1]};
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
  FftwBuffer<double> buf(Fftw<double>::real(static_cast<size_t>(n)));
  FftwBuffer<double> spec(Fftw<double>::complex(static_cast<size_t>(bins())));
  for (int64_t t = 0; t < frames; ++t) {
    for (int b = 0; b < bins(); ++b) {
      spec.get()[2 * b] = D(b, t).real();
      spec.get()[2 * b + 1] = D(b, t).imag();
    }
    Fftw<double>::backward(plans_->inverse_plan(), spec.get(), buf.get());  // unnormalised: divide by n
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
