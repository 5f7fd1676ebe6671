#include "dsp/pcm.hpp"

#include <bit>
#include <cmath>
#include <cstring>

#include "dsp/audio.hpp"
#include "dsp/mono_mix.hpp"

namespace ser::dsp {

static_assert(std::endian::native == std::endian::little, "raw PCM is read as little-endian in place");

int bytes_per_sample(PcmFormat f) { return f == PcmFormat::s16le ? 2 : 4; }

namespace {
float sample_at(const uint8_t* p, PcmFormat f) {
  if (f == PcmFormat::s16le) {
    int16_t v;
    std::memcpy(&v, p, 2);
    return static_cast<float>(v) / 32768.0f;  // libsndfile's (and soundfile's) scaling
  }
  float v;
  std::memcpy(&v, p, 4);
  return v;
}
}  // namespace

size_t pcm_to_mono(std::span<const uint8_t> bytes, PcmFormat format, int channels, int64_t first_frame,
                   std::vector<float>& out) {
  const size_t width = static_cast<size_t>(bytes_per_sample(format));
  const size_t frame = width * static_cast<size_t>(channels);
  const size_t frames = bytes.size() / frame;
  std::vector<float> one(static_cast<size_t>(channels));  // a frame's channels as float, then mixed
  for (size_t i = 0; i < frames; ++i) {
    const uint8_t* p = bytes.data() + i * frame;
    for (int c = 0; c < channels; ++c) one[static_cast<size_t>(c)] = sample_at(p + static_cast<size_t>(c) * width, format);
    const float v = mono_of(one.data(), channels);
    if (!std::isfinite(v))
      throw AudioError("raw PCM: frame " + std::to_string(first_frame + static_cast<int64_t>(i)) + " is " +
                       (std::isnan(v) ? "NaN" : "infinite") + " (is --format right?)");
    out.push_back(v);
  }
  return frames * frame;
}

}  // namespace ser::dsp
