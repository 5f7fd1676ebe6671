#pragma once
// Raw PCM as programs pipe it (`ffmpeg -f s16le -`, `arecord -t raw`):
// interleaved little-endian samples without a header, mixed to mono float32
// exactly as load_audio mixes a file (16-bit as v / 32768, channels summed
// in float32 then divided), so a piped file and the same file read from
// disk give the same samples.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace ser::dsp {

enum class PcmFormat { s16le, f32le };
inline constexpr const char* kPcmFormats[] = {"s16le", "f32le"};

int bytes_per_sample(PcmFormat f);

// Appends the mono samples of whole frames in `bytes` (channels x sample
// size each) to `out`; returns the bytes used (a partial frame is left for
// the next call). Throws AudioError for a NaN or infinite float sample,
// naming its frame index counted from `first_frame`.
size_t pcm_to_mono(std::span<const uint8_t> bytes, PcmFormat format, int channels, int64_t first_frame,
                   std::vector<float>& out);

}  // namespace ser::dsp
