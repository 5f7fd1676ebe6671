#pragma once
// The audio track of files libsndfile does not read: video and audio
// containers (MP4, M4A, MKV, WebM, MOV, ...) and their codecs (AAC, Opus,
// Vorbis, ALAC, FLAC in Matroska, ...), decoded with FFmpeg's libraries.
// Samples arrive as float32 in the file's own channels and rate; the
// caller mixes and resamples as for any other file.

#include <cstdint>
#include <functional>
#include <string>

namespace ser::dsp {

struct MediaTrack {
  int sample_rate = 0;
  int channels = 0;
  int64_t frames = 0;  // from the container's duration: an estimate until decoded
  std::string format;  // "matroska,webm (flac)"
};

// The best audio stream's description. Throws AudioError naming the file:
// not a media file, no audio track (the streams it has are listed), a codec
// FFmpeg cannot decode.
MediaTrack probe_media_audio(const std::string& path);

// Decodes the best audio stream. `begin` is told the track first and
// returns what takes its blocks of interleaved float32 frames (frames x
// channels), until that returns false or the stream ends. Returns the
// track's description. Throws AudioError as above, and for a stream
// damaged beyond decoding.
using FrameBlock = std::function<bool(const float* interleaved, int64_t frames)>;
MediaTrack decode_media_audio(const std::string& path, const std::function<FrameBlock(const MediaTrack&)>& begin);

}  // namespace ser::dsp
