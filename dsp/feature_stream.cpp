#include "dsp/feature_stream.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "dsp/framewise.hpp"
#include "dsp/mfcc.hpp"

namespace ser::dsp {

// The per-frame step of the kind on a piece of the padded signal holding
// whole frames: the batch functions themselves, uncentred.
struct FeatureStream::Columns {
  FrameColumns kind;
  FrameOptions frames;
  PadMode pad_mode;
  std::unique_ptr<Stft> stft;
  std::unique_ptr<MelSpectrogram> mel;
  FeatureSpec spec;
  int sample_rate;

  Columns(const FeatureSpec& s, int rate, int hop) : kind(kind_info(s.kind).columns), spec(s), sample_rate(rate) {
    StftOptions uncentred = spec.stft;
    uncentred.hop_length = hop;
    uncentred.center = false;
    frames = {spec.stft.n_fft, hop, false};
    pad_mode = kind == FrameColumns::zcr ? PadMode::edge : spec.stft.pad_mode;  // librosa's zcr pads with edge
    if (kind == FrameColumns::mel_power || kind == FrameColumns::mel_magnitude)
      mel = std::make_unique<MelSpectrogram>(sample_rate, uncentred, spec.mel, kind == FrameColumns::mel_power ? 2.0 : 1.0);
    if (kind == FrameColumns::stft_magnitude || kind == FrameColumns::stft_power) stft = std::make_unique<Stft>(uncentred);
  }

  Matrix operator()(std::span<const float> padded) const {
    switch (kind) {
      case FrameColumns::mel_power:
      case FrameColumns::mel_magnitude: return (*mel)(padded);
      case FrameColumns::stft_magnitude: return stft->spectrogram(padded, 1.0);
      case FrameColumns::stft_power: return stft->spectrogram(padded, 2.0);
      case FrameColumns::zcr: return zero_crossing_rate(padded, frames);
      case FrameColumns::rms: return rms(padded, frames, pad_mode);
      case FrameColumns::yin_f0: return yin(padded, sample_rate, frames, pad_mode, spec.pitch, spec.yin);
      case FrameColumns::pyin_observations:
        return pyin_observations(padded, sample_rate, frames, pad_mode, spec.pitch, spec.pyin);
      case FrameColumns::whole_clip: break;
    }
    throw std::logic_error("unknown frame columns");
  }
};

FeatureStream::FeatureStream(const FeatureSpec& spec, int sample_rate) : spec_(spec), sample_rate_(sample_rate) {
  spec_.validate();
  if (kind_info(spec_.kind).columns == FrameColumns::whole_clip)
    throw std::invalid_argument(std::string("feature kind '") + spec_.kind_name() +
                                "' summarises a whole clip: it has no frames a stream could compute as samples "
                                "arrive (use it with ser train/predict on files, not timeline or listen)");
  n_fft_ = spec_.stft.n_fft;
  hop_ = spec_.stft.hop_length ? spec_.stft.hop_length : n_fft_ / 4;
  pad_ = spec_.stft.center ? n_fft_ / 2 : 0;
  columns_of_ = std::make_unique<Columns>(spec_, sample_rate, hop_);
}

FeatureStream::~FeatureStream() = default;
FeatureStream::FeatureStream(FeatureStream&&) noexcept = default;
FeatureStream& FeatureStream::operator=(FeatureStream&&) noexcept = default;

namespace {
std::vector<float> to_float(const std::vector<double>& v, size_t from, size_t count) {
  std::vector<float> out(count);
  for (size_t i = 0; i < count; ++i) out[i] = static_cast<float>(v[from + i]);  // copies of float samples: exact
  return out;
}
}  // namespace

// The front padding, made from the first samples (reflect needs pad + 1 of them).
void FeatureStream::start_padding() {
  const std::vector<double> head = pad_signal(raw_head_, pad_, 0, columns_of_->pad_mode);
  buffer_ = to_float(head, 0, head.size());
  buffer_start_ = 0;
  raw_head_.clear();
  started_ = true;
}

int64_t FeatureStream::push(std::span<const float> y) {
  if (finished_) throw std::logic_error("FeatureStream: push after finish");
  pushed_ += static_cast<int64_t>(y.size());
  last_.insert(last_.end(), y.begin(), y.end());
  if (last_.size() > static_cast<size_t>(pad_ + 1)) last_.erase(last_.begin(), last_.end() - (pad_ + 1));
  if (!started_) {
    raw_head_.insert(raw_head_.end(), y.begin(), y.end());
    if (raw_head_.size() < static_cast<size_t>(pad_ + 1)) return frames();
    start_padding();
  } else {
    buffer_.insert(buffer_.end(), y.begin(), y.end());
  }
  compute_ready();
  return frames();
}

int64_t FeatureStream::finish() {
  if (finished_) return frames();
  if (pushed_ == 0) throw std::invalid_argument("cannot analyse an empty signal");
  if (!started_) {  // shorter than the padding: padded whole, as the batch features pad a short signal
    const std::vector<double> whole = pad_signal(raw_head_, pad_, pad_, columns_of_->pad_mode);
    buffer_ = to_float(whole, 0, whole.size());
    buffer_start_ = 0;
    raw_head_.clear();
    started_ = true;
  } else if (pad_ > 0) {
    const std::vector<double> tail = pad_signal(last_, 0, pad_, columns_of_->pad_mode);
    const std::vector<float> end = to_float(tail, last_.size(), static_cast<size_t>(pad_));
    buffer_.insert(buffer_.end(), end.begin(), end.end());
  }
  finished_ = true;
  compute_ready();
  return frames();
}

void FeatureStream::compute_ready() {
  const int64_t end = buffer_start_ + static_cast<int64_t>(buffer_.size());
  const int64_t next = frames();
  if (next * hop_ + n_fft_ > end) return;
  const int64_t last = (end - n_fft_) / hop_;
  const auto from = static_cast<size_t>(next * hop_ - buffer_start_);
  const auto to = static_cast<size_t>(last * hop_ + n_fft_ - buffer_start_);
  const Matrix m = (*columns_of_)(std::span<const float>(buffer_).subspan(from, to - from));
  for (int64_t t = 0; t < m.cols; ++t) {
    std::vector<double> column(static_cast<size_t>(m.rows));
    for (int64_t r = 0; r < m.rows; ++r) column[static_cast<size_t>(r)] = m(r, t);
    columns_.push_back(std::move(column));
  }
  // Keep what the next frame needs onwards.
  const int64_t keep_from = std::min((last + 1) * hop_, end);
  buffer_.erase(buffer_.begin(), buffer_.begin() + (keep_from - buffer_start_));
  buffer_start_ = keep_from;
}

int64_t FeatureStream::frame_at(int64_t s) const {
  const int64_t centre_offset = pad_ > 0 ? 0 : n_fft_ / 2;
  return std::max<int64_t>(0, (s - centre_offset + hop_ / 2) / hop_);
}

Matrix FeatureStream::window(int64_t first, int64_t count) const {
  if (count <= 0 || first < first_kept_ || first + count > frames())
    throw std::out_of_range("frames " + std::to_string(first) + "-" + std::to_string(first + count - 1) +
                            " are not held (frames " + std::to_string(first_kept_) + "-" + std::to_string(frames() - 1) +
                            " are)");
  const auto rows = static_cast<int64_t>(columns_[static_cast<size_t>(first - first_kept_)].size());
  Matrix m(rows, count);
  for (int64_t t = 0; t < count; ++t) {
    const std::vector<double>& c = columns_[static_cast<size_t>(first - first_kept_ + t)];
    for (int64_t r = 0; r < rows; ++r) m(r, t) = c[static_cast<size_t>(r)];
  }
  return kind_info(spec_.kind).finish(spec_, std::move(m), sample_rate_);
}

void FeatureStream::forget_before(int64_t frame) {
  while (first_kept_ < frame && !columns_.empty()) {
    columns_.pop_front();
    ++first_kept_;
  }
}

}  // namespace ser::dsp
