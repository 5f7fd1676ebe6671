#include "dsp/silence.hpp"

#include <algorithm>
#include <cmath>

#include "dsp/db.hpp"
#include "dsp/framewise.hpp"

namespace ser::dsp {

void SilenceOptions::register_settings(Settings& s) {
  s.number("silence_top_db", top_db, 0, 1000, "a frame this far below the reference is silence").unit("dB");
  s.integer("silence_frame_length", frame_length, 2, 1 << 20, "samples per frame of the silence RMS");
  s.integer("silence_hop_length", hop_length, 1, 1 << 20, "samples between frames of the silence RMS");
  s.number("silence_ref", ref, 1e-30, 1e30, "the reference amplitude of 0 dB")
      .special(0, "the loudest frame's RMS (librosa's np.max)", "max");
}

void SilenceOptions::validate() const {
  SilenceOptions copy = *this;
  Settings s;
  copy.register_settings(s);
  s.check();
}

std::vector<double> frame_db(std::span<const float> y, const SilenceOptions& options) {
  options.validate();
  if (y.empty()) return {};
  const Matrix r = rms(y, FrameOptions{options.frame_length, options.hop_length, true});
  DbOptions db = amplitude_db_defaults();  // amin 1e-5
  db.top_db = -1;                          // librosa passes top_db=None here
  if (options.ref > 0) {
    db.ref = DbReference::value;
    db.ref_value = options.ref;
  } else {
    db.ref = DbReference::max;
  }
  return amplitude_to_db(r, db).data;
}

std::vector<bool> non_silent_frames(std::span<const float> y, const SilenceOptions& options) {
  const std::vector<double> db = frame_db(y, options);
  std::vector<bool> loud(db.size());
  for (size_t i = 0; i < db.size(); ++i) loud[i] = db[i] > -options.top_db;
  return loud;
}

namespace {
int64_t frame_to_sample(size_t frame, const SilenceOptions& o, size_t n) {
  return std::min(static_cast<int64_t>(frame) * o.hop_length, static_cast<int64_t>(n));
}
}  // namespace

Interval trim(std::span<const float> y, const SilenceOptions& options) {
  const std::vector<bool> loud = non_silent_frames(y, options);
  const auto first = std::find(loud.begin(), loud.end(), true);
  if (first == loud.end()) return {0, 0};
  const auto last = std::find(loud.rbegin(), loud.rend(), true);
  const size_t first_frame = static_cast<size_t>(first - loud.begin());
  const size_t end_frame = loud.size() - static_cast<size_t>(last - loud.rbegin());
  return {frame_to_sample(first_frame, options, y.size()), frame_to_sample(end_frame, options, y.size())};
}

std::vector<Interval> split(std::span<const float> y, const SilenceOptions& options) {
  const std::vector<bool> loud = non_silent_frames(y, options);
  std::vector<Interval> out;
  for (size_t i = 0; i < loud.size();) {
    if (!loud[i]) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < loud.size() && loud[j]) ++j;
    out.push_back({frame_to_sample(i, options, y.size()), frame_to_sample(j, options, y.size())});
    i = j;
  }
  return out;
}

}  // namespace ser::dsp
