#include "dsp/audio.hpp"

#include <sndfile.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>

#include "common/input_file.hpp"
#include "dsp/media_audio.hpp"
#include "dsp/mono_mix.hpp"

namespace ser::dsp {

namespace {
struct CloseSndfile {
  void operator()(SNDFILE* f) const { sf_close(f); }
};

std::string format_name(int format) {
  SF_FORMAT_INFO info{};
  info.format = format & SF_FORMAT_TYPEMASK;
  if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &info, sizeof(info)) == 0 && info.name) return info.name;
  return "unknown";
}

uint32_t le32(const unsigned char* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (uint32_t{p[3]} << 24); }
uint32_t be32(const unsigned char* p) { return (uint32_t{p[0]} << 24) | (p[1] << 16) | (p[2] << 8) | p[3]; }

// Bytes of sample data a WAV or AIFF header announces beyond the end of the
// file (0 when complete or another format). libsndfile quietly shortens such
// a file to what is there; a file cut short is damaged, and we refuse it.
uint64_t missing_sample_bytes(int fd, uint64_t file_size) {
  unsigned char head[12];
  if (::pread(fd, head, 12, 0) != 12) return 0;
  const bool riff = std::memcmp(head, "RIFF", 4) == 0 && std::memcmp(head + 8, "WAVE", 4) == 0;
  const bool aiff =
      std::memcmp(head, "FORM", 4) == 0 && (std::memcmp(head + 8, "AIFF", 4) == 0 || std::memcmp(head + 8, "AIFC", 4) == 0);
  if (!riff && !aiff) return 0;
  const char* data_id = riff ? "data" : "SSND";
  uint64_t at = 12;
  for (int chunks = 0; chunks < 4096 && at + 8 <= file_size; ++chunks) {
    unsigned char c[8];
    if (::pread(fd, c, 8, static_cast<off_t>(at)) != 8) return 0;
    const uint64_t size = riff ? le32(c + 4) : be32(c + 4);
    if (std::memcmp(c, data_id, 4) == 0) {
      if (size == 0xffffffffu) return 0;  // RF64-style "see elsewhere": libsndfile checks it
      const uint64_t present = file_size - at - 8;
      return size > present + 1 ? size - present : 0;  // +1: a missing pad byte is harmless
    }
    at += 8 + size + (size & 1);
  }
  return 0;
}

struct OpenedAudio {
  std::unique_ptr<SNDFILE, CloseSndfile> file;
  SF_INFO info{};
};

// The first bytes of the formats libsndfile owns: when it refuses such a
// file the file is damaged, and FFmpeg (more forgiving) must not guess.
bool has_sndfile_magic(int fd) {
  unsigned char head[4] = {};
  if (::pread(fd, head, 4, 0) != 4) return false;
  for (const char* magic : {"RIFF", "RIFX", "RF64", "FORM", "fLaC"})
    if (std::memcmp(head, magic, 4) == 0) return true;
  return false;
}

// Opens `path` through InputFile (regular files only, never blocking) and
// checks the header's rate, channels and length. Empty when libsndfile does
// not recognise the format at all: a container for FFmpeg, perhaps.
std::optional<OpenedAudio> open_audio(const std::string& path) {
  auto fail = [&](const std::string& what) { return AudioError("audio file '" + path + "': " + what); };
  std::optional<InputFile> input;
  try {
    input.emplace(path, "audio file");
  } catch (const InputFileError& e) {
    throw AudioError(e.what());
  }
  if (input->size() == 0) throw fail("the file is empty");
  const uint64_t missing = missing_sample_bytes(input->fd(), input->size());
  if (missing > 0)
    throw fail("truncated: its header announces " + std::to_string(missing) +
               " more bytes of samples than the file holds (an interrupted copy or download?)");
  const bool sndfile_format = has_sndfile_magic(input->fd());
  OpenedAudio a;
  const int fd = input->release();
  // With close_desc, libsndfile closes the descriptor itself, whether the open succeeds or fails.
  a.file.reset(sf_open_fd(fd, SFM_READ, &a.info, /*close_desc=*/SF_TRUE));
  if (!a.file) {
    if (sf_error(nullptr) == SF_ERR_UNRECOGNISED_FORMAT && !sndfile_format) return std::nullopt;
    throw fail(std::string("cannot decode: ") + sf_strerror(nullptr) +
               " (not an audio format libsndfile reads, or a damaged header)");
  }
  if (a.info.channels < 1 || a.info.channels > 256) throw fail("header gives " + std::to_string(a.info.channels) + " channels");
  if (a.info.samplerate < kMinSampleRate || a.info.samplerate > kMaxSampleRate)
    throw fail("header gives a sample rate of " + std::to_string(a.info.samplerate) + " Hz, outside the " +
               std::to_string(kMinSampleRate) + "-" + std::to_string(kMaxSampleRate) + " Hz ser reads (a damaged header?)");
  if (a.info.frames <= 0) throw fail("holds no samples");
  return a;
}

using Fail = std::function<AudioError(const std::string&)>;

// Mixes blocks of interleaved frames to mono (dsp/mono_mix.hpp), dropping
// the first `skip` frames and keeping at most `want`, each block written in
// place; refuses NaN and infinite samples by their index.
class MonoCollector {
 public:
  MonoCollector(int channels, int64_t skip, int64_t want, int64_t first_index, Fail fail)
      : C_(channels), skip_(skip), want_(want), index_(first_index), fail_(std::move(fail)) {}
  // False once `want` frames are kept.
  bool add(const float* interleaved, int64_t frames) {
    const int64_t skipped = std::min(skip_, frames);
    skip_ -= skipped;
    index_ += skipped;
    const size_t at = samples.size();
    const int64_t n = std::min(frames - skipped, want_ - static_cast<int64_t>(at));
    samples.resize(at + static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i, ++index_) {
      const float v = mono_of(interleaved + (skipped + i) * C_, C_);
      if (!std::isfinite(v))
        throw fail_("sample " + std::to_string(index_) + " is " + (std::isnan(v) ? "NaN" : "infinite") +
                    "; the file is corrupt");
      samples[at + static_cast<size_t>(i)] = v;
    }
    return static_cast<int64_t>(samples.size()) < want_;
  }
  std::vector<float> samples;

 private:
  int C_;
  int64_t skip_, want_, index_;
  Fail fail_;
};

// librosa: int(offset * sr), computed in double first so that no huge value is converted.
int64_t first_frame(const LoadOptions& o, int rate) { return static_cast<int64_t>(std::floor(o.offset * rate)); }
// Capped one past the most ser reads (check_wanted refuses that with the
// count): a header may announce 2^63 frames, which no int64_t holds
// (converting it was undefined; found by fuzz_audio).
int64_t frames_wanted(const LoadOptions& o, int rate, double available) {
  const double wanted = o.duration >= 0 ? std::min(available, std::floor(o.duration * rate)) : available;
  return static_cast<int64_t>(std::min(wanted, static_cast<double>(kMaxAudioSamples) + 1.0));
}

void check_wanted(int64_t want, const Fail& fail) {
  if (want <= 0) throw fail("duration selects no samples");
  if (want > kMaxAudioSamples)
    throw fail("holds " + std::to_string(want) + " samples, more than the " + std::to_string(kMaxAudioSamples) +
               " ser reads from one file; read it in parts with offset and duration");
}

Audio read_sndfile(OpenedAudio& opened, const LoadOptions& options, const Fail& fail) {
  SNDFILE* file = opened.file.get();
  const SF_INFO& info = opened.info;
  // libsndfile's default float normalisation maps 16-bit PCM to v / 32768, as soundfile (librosa's reader) does.
  const int64_t frames = info.frames;
  if (frames == SF_COUNT_MAX)  // libsndfile's word for a FLAC stream whose STREAMINFO holds no total
    throw fail("its header does not give its length (a stream written without its sample count); re-encode it, "
               "e.g. ffmpeg -i IN -c:a flac OUT.flac");
  const int64_t start = first_frame(options, info.samplerate);
  if (std::floor(options.offset * info.samplerate) >= static_cast<double>(frames))
    throw fail("offset " + std::to_string(options.offset) + " s is at or past the end (the file lasts " +
               std::to_string(static_cast<double>(frames) / info.samplerate) + " s)");
  const int64_t want = frames_wanted(options, info.samplerate, static_cast<double>(frames - start));
  check_wanted(want, fail);
  if (start > 0 && sf_seek(file, start, SEEK_SET) < 0)
    throw fail(std::string("cannot seek to the offset: ") + sf_strerror(file));
  // Decoded in blocks: memory follows the samples really there, not what a header claims.
  MonoCollector mono(info.channels, 0, want, start, fail);
  // Room for what the header announces, up to 2^26 samples (256 MB): a long
  // file is not copied as it grows, and a lying header costs little.
  mono.samples.reserve(static_cast<size_t>(std::min<int64_t>(want, int64_t{1} << 26)));
  const int64_t block = 1 << 16;
  std::vector<float> interleaved(static_cast<size_t>(block * info.channels));
  for (;;) {
    const int64_t ask = std::min<int64_t>(block, want - static_cast<int64_t>(mono.samples.size()));
    const sf_count_t n = sf_readf_float(file, interleaved.data(), ask);
    if (n <= 0 || !mono.add(interleaved.data(), n)) break;
  }
  const auto got = static_cast<int64_t>(mono.samples.size());
  if (got == 0) throw fail(std::string("no samples could be decoded: ") + sf_strerror(file));
  // MP3 headers estimate their length; every other format states it exactly.
  if (got < want && (info.format & SF_FORMAT_TYPEMASK) != SF_FORMAT_MPEG)
    throw fail("truncated or damaged: decoded " + std::to_string(got) + " of the " + std::to_string(want) +
               " samples its header announces (" + sf_strerror(file) + ")");
  Audio a;
  a.samples = std::move(mono.samples);
  a.source_channels = info.channels;
  a.source_rate = a.sample_rate = info.samplerate;
  a.format = format_name(info.format);
  return a;
}

// A container's audio track through FFmpeg: decoded from the start, the
// frames before the offset dropped (exact, where a container seek is not).
Audio read_media(const std::string& path, const LoadOptions& options, const Fail& fail) {
  std::optional<MonoCollector> mono;
  int64_t start = 0;
  // The container is opened once: its track's description sets up the mixer.
  const MediaTrack track = decode_media_audio(path, [&](const MediaTrack& t) -> FrameBlock {
    start = first_frame(options, t.sample_rate);
    const int64_t want = frames_wanted(options, t.sample_rate, static_cast<double>(kMaxAudioSamples) + 1);
    check_wanted(options.duration >= 0 ? want : 1, fail);
    mono.emplace(t.channels, start, want, 0, fail);
    return [&](const float* x, int64_t n) { return mono->add(x, n); };
  });
  if (mono->samples.empty()) {
    if (start > 0)
      throw fail("offset " + std::to_string(options.offset) + " s is at or past the end of its audio track");
    throw fail("its audio track holds no samples");
  }
  if (static_cast<int64_t>(mono->samples.size()) > kMaxAudioSamples) check_wanted(kMaxAudioSamples + 1, fail);
  Audio a;
  a.samples = std::move(mono->samples);
  a.source_channels = track.channels;
  a.source_rate = a.sample_rate = track.sample_rate;
  a.format = track.format;
  return a;
}

void resample_loaded(Audio& a, const LoadOptions& options, const Fail& fail) {
  if (options.sample_rate <= 0 || options.sample_rate == a.sample_rate) return;
  const double out = std::ceil(static_cast<double>(a.samples.size()) * options.sample_rate / a.sample_rate);
  if (out > static_cast<double>(kMaxAudioSamples))
    throw fail("resampled to " + std::to_string(options.sample_rate) + " Hz it would hold more than " +
               std::to_string(kMaxAudioSamples) + " samples; read it in parts with offset and duration");
  a.samples = resample(a.samples, a.sample_rate, options.sample_rate, options.quality);
  a.sample_rate = options.sample_rate;
}

void check_options(const LoadOptions& o, const Fail& fail) {
  LoadOptions copy = o;
  Settings settings;
  copy.register_settings(settings);
  try {
    settings.check();
  } catch (const SettingError& e) {
    throw fail(e.what());
  }
}
}  // namespace

void LoadOptions::register_settings(Settings& s) {
  s.integer("sample_rate", sample_rate, kMinSampleRate, kMaxSampleRate, "resample to this rate (soxr)")
      .unit("Hz")
      .special(0, "the file's own rate");
  s.number("offset", offset, 0, kMaxSeconds, "start reading this far into the file").unit("seconds");
  s.number("duration", duration, 1e-3, kMaxSeconds, "read only this long")
      .unit("seconds")
      .special(-1, "to the end", "none");
  s.choice("resample", quality, {"qq", "lq", "mq", "hq", "vhq"}, "soxr's resampling quality (librosa's default: hq)");
}

AudioInfo probe_audio(const std::string& path) {
  if (const std::optional<OpenedAudio> a = open_audio(path))
    return {a->info.samplerate, a->info.channels, a->info.frames, format_name(a->info.format)};
  const MediaTrack m = probe_media_audio(path);
  return {m.sample_rate, m.channels, m.frames, m.format};
}

Audio load_audio(const std::string& path, const LoadOptions& options) {
  const Fail fail = [&](const std::string& what) { return AudioError("audio file '" + path + "': " + what); };
  check_options(options, fail);
  std::optional<OpenedAudio> opened = open_audio(path);
  Audio a = opened ? read_sndfile(*opened, options, fail) : read_media(path, options, fail);
  resample_loaded(a, options, fail);
  return a;
}

void save_wav(const std::string& path, std::span<const float> samples, int sample_rate, SampleFormat format) {
  SF_INFO info{};
  info.samplerate = sample_rate;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | (format == SampleFormat::pcm16 ? SF_FORMAT_PCM_16 : SF_FORMAT_FLOAT);
  const std::string tmp = path + ".tmp";
  {
    std::unique_ptr<SNDFILE, CloseSndfile> file(sf_open(tmp.c_str(), SFM_WRITE, &info));
    if (!file) throw AudioError("cannot write audio file '" + path + "': " + sf_strerror(nullptr));
    // Clip rather than wrap when converting to 16-bit.
    sf_command(file.get(), SFC_SET_CLIPPING, nullptr, SF_TRUE);
    if (sf_writef_float(file.get(), samples.data(), static_cast<sf_count_t>(samples.size())) !=
        static_cast<sf_count_t>(samples.size()))
      throw AudioError("cannot write audio file '" + path + "': " + sf_strerror(file.get()));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw AudioError("cannot write audio file '" + path + "': " + ec.message());
}

}  // namespace ser::dsp
