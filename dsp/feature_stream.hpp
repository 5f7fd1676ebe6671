#pragma once
// A feature of a signal that arrives in pieces (a microphone, a pipe, a long
// recording read in blocks): each frame's columns are computed once, as soon
// as the samples it covers are in, and any window of frames is finished on
// demand (dB floors, DCT, deltas, chroma: FeatureKindInfo::finish). Frames
// lie where the batch features put them (centred, the same padding at the
// start and, after finish(), at the end), and pieces of any size give the
// same bits as the whole signal at once: the live path and the offline
// timeline share this class, and a window over a whole clip equals
// FeatureExtractor on that clip.

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <vector>

#include "dsp/feature_spec.hpp"
#include "dsp/matrix.hpp"

namespace ser::dsp {

class FeatureStream {
 public:
  // Throws SettingError for an invalid spec, std::invalid_argument for a
  // sample rate its mel settings cannot use.
  FeatureStream(const FeatureSpec& spec, int sample_rate);
  ~FeatureStream();
  FeatureStream(FeatureStream&&) noexcept;
  FeatureStream& operator=(FeatureStream&&) noexcept;

  // The next samples; computes every frame they complete. Returns frames().
  int64_t push(std::span<const float> samples);
  // The end of the signal: pads it as the batch features do and computes
  // the last frames. Nothing may be pushed after it.
  int64_t finish();

  int64_t frames() const { return first_kept_ + static_cast<int64_t>(columns_.size()); }
  int64_t samples() const { return pushed_; }
  int hop() const { return hop_; }
  int sample_rate() const { return sample_rate_; }
  // The frame whose centre is nearest to sample `s` (centred frames: s / hop).
  int64_t frame_at(int64_t s) const;
  // The kind's [rows, count] features of frames [first, first + count).
  // Throws std::out_of_range for frames not yet computed or forgotten.
  Matrix window(int64_t first, int64_t count) const;
  // Frames before `frame` will not be asked for again: their memory is freed.
  void forget_before(int64_t frame);

 private:
  struct Columns;
  void compute_ready();
  void start_padding();

  FeatureSpec spec_;
  int sample_rate_ = 0, hop_ = 0, n_fft_ = 0, pad_ = 0;
  std::unique_ptr<Columns> columns_of_;
  std::vector<float> raw_head_;  // samples held until the front padding can be made (reflect needs pad + 1)
  bool started_ = false, finished_ = false;
  std::vector<float> buffer_;  // padded signal from position buffer_start_
  int64_t buffer_start_ = 0;
  int64_t pushed_ = 0;
  std::vector<float> last_;  // the last pad + 1 samples pushed: the end padding's source
  std::deque<std::vector<double>> columns_;
  int64_t first_kept_ = 0;
};

}  // namespace ser::dsp
