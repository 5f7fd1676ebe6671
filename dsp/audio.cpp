#include "dsp/audio.hpp"

#include <sndfile.h>

#include <cmath>
#include <filesystem>
#include <memory>

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
}  // namespace

AudioInfo probe_audio(const std::string& path) {
  auto fail = [&](const std::string& what) { return AudioError("audio file '" + path + "': " + what); };
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw fail("no such file");
  if (std::filesystem::file_size(path, ec) == 0) throw fail("the file is empty");
  SF_INFO info{};
  std::unique_ptr<SNDFILE, CloseSndfile> file(sf_open(path.c_str(), SFM_READ, &info));
  if (!file) throw fail(std::string("cannot decode: ") + sf_strerror(nullptr));
  if (info.frames <= 0) throw fail("holds no samples");
  return {info.samplerate, info.channels, info.frames, format_name(info.format)};
}

Audio load_audio(const std::string& path, const LoadOptions& options) {
  auto fail = [&](const std::string& what) { return AudioError("audio file '" + path + "': " + what); };
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw fail("no such file");
  if (std::filesystem::is_directory(path, ec)) throw fail("is a directory, not an audio file");
  if (std::filesystem::file_size(path, ec) == 0) throw fail("the file is empty");
  if (options.offset < 0) throw fail("offset must be >= 0 seconds");

  SF_INFO info{};
  std::unique_ptr<SNDFILE, CloseSndfile> file(sf_open(path.c_str(), SFM_READ, &info));
  if (!file)
    throw fail(std::string("cannot decode: ") + sf_strerror(nullptr) +
               " (not an audio format libsndfile reads, or a damaged header)");
  if (info.channels < 1 || info.samplerate < 1) throw fail("header gives no channels or no sample rate");
  // libsndfile's default float normalisation maps 16-bit PCM to v / 32768, as soundfile (librosa's reader) does.

  const int64_t frames = info.frames;
  if (frames <= 0) throw fail("holds no samples");
  const auto start = static_cast<int64_t>(options.offset * info.samplerate);  // librosa: int(offset * sr)
  if (start >= frames)
    throw fail("offset " + std::to_string(options.offset) + " s is at or past the end (the file lasts " +
               std::to_string(static_cast<double>(frames) / info.samplerate) + " s)");
  int64_t want = frames - start;
  if (options.duration >= 0) want = std::min(want, static_cast<int64_t>(options.duration * info.samplerate));
  if (want <= 0) throw fail("duration selects no samples");
  if (start > 0 && sf_seek(file.get(), start, SEEK_SET) < 0)
    throw fail(std::string("cannot seek to the offset: ") + sf_strerror(file.get()));

  std::vector<float> interleaved(static_cast<size_t>(want * info.channels));
  int64_t got = 0;
  while (got < want) {
    const sf_count_t n = sf_readf_float(file.get(), interleaved.data() + got * info.channels, want - got);
    if (n <= 0) break;  // a data chunk shorter than its header says: keep what is there
    got += n;
  }
  if (got == 0) throw fail(std::string("no samples could be decoded: ") + sf_strerror(file.get()));

  Audio a;
  a.source_channels = info.channels;
  a.source_rate = info.samplerate;
  a.sample_rate = info.samplerate;
  a.format = format_name(info.format);
  a.samples.resize(static_cast<size_t>(got));
  const int C = info.channels;
  for (int64_t i = 0; i < got; ++i) {
    float v;
    if (C == 1) {
      v = interleaved[static_cast<size_t>(i)];
    } else {
      float sum = 0.0f;  // float32 sum then divide: numpy's mean of two float32 channels
      for (int c = 0; c < C; ++c) sum += interleaved[static_cast<size_t>(i * C + c)];
      v = sum / static_cast<float>(C);
    }
    if (!std::isfinite(v))
      throw fail("sample " + std::to_string(start + i) + " is " + (std::isnan(v) ? "NaN" : "infinite") +
                 "; the file is corrupt");
    a.samples[static_cast<size_t>(i)] = v;
  }
  if (options.sample_rate > 0 && options.sample_rate != a.sample_rate) {
    a.samples = resample(a.samples, a.sample_rate, options.sample_rate, options.quality);
    a.sample_rate = options.sample_rate;
  }
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
