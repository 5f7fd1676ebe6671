#pragma once
// Audio in: any format libsndfile reads (WAV, FLAC, AIFF, OGG, ...), detected
// from the file's content, never from its name (TESS ships AIFF data named
// .wav). Channels are averaged to mono and samples are float32, as
// librosa.load gives them; offset and duration follow librosa.load too.

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/settings.hpp"
#include "dsp/resample.hpp"

namespace ser::dsp {

// An audio file that cannot be used. The message names the file and the problem.
class AudioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What ser reads: a header outside these rates is damaged (1 Hz would make
// resampling take gigabytes), and one file gives at most 2^30 samples (about
// 6 hours at 48 kHz; read longer recordings in parts with offset/duration).
inline constexpr int kMinSampleRate = 1000;
inline constexpr int kMaxSampleRate = 768000;
inline constexpr int64_t kMaxAudioSamples = int64_t{1} << 30;
inline constexpr double kMaxSeconds = 1e6;  // offset and duration settings

struct Audio {
  std::vector<float> samples;  // mono
  int sample_rate = 0;
  int source_channels = 0;  // before averaging
  int source_rate = 0;      // before resampling
  std::string format;       // libsndfile's name for the container, e.g. "AIFF"
  double seconds() const { return sample_rate ? static_cast<double>(samples.size()) / sample_rate : 0.0; }
};

struct LoadOptions {
  double offset = 0.0;                              // seconds skipped from the start
  double duration = -1.0;                           // seconds read; negative: to the end
  int sample_rate = 0;                              // 0: the file's own rate; otherwise resample to it
  ResampleQuality quality = ResampleQuality::high;  // librosa's default, soxr_hq
  void register_settings(Settings& s);
};

// What a file's header says, without decoding it (cheap enough for a whole corpus).
struct AudioInfo {
  int sample_rate = 0;
  int channels = 0;
  int64_t frames = 0;
  std::string format;
  double seconds() const { return sample_rate ? static_cast<double>(frames) / sample_rate : 0.0; }
};
// Throws AudioError, as load_audio, for a file libsndfile cannot open.
AudioInfo probe_audio(const std::string& path);

// Throws AudioError for: a missing, empty or unreadable file, something that
// is not a regular file (a FIFO, a device), a format libsndfile does not
// know, a sample rate outside [kMinSampleRate, kMaxSampleRate], a file cut
// short (its header announces more audio than it holds), no samples, NaN or
// infinite samples, an offset at or past the end, more than kMaxAudioSamples
// samples, and options that are out of range.
Audio load_audio(const std::string& path, const LoadOptions& options = {});

enum class SampleFormat { pcm16, float32 };
// Writes mono WAV through libsndfile, to a temporary name then renamed.
// float32 keeps every value (NaN included, which the tests rely on).
void save_wav(const std::string& path, std::span<const float> samples, int sample_rate,
              SampleFormat format = SampleFormat::pcm16);

}  // namespace ser::dsp
