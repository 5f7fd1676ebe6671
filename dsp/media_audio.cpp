#include "dsp/media_audio.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
}

#include <fstream>
#include <memory>
#include <vector>

#include "dsp/audio.hpp"

namespace ser::dsp {

namespace {

AudioError fail(const std::string& path, const std::string& what) {
  return AudioError("audio file '" + path + "': " + what);
}

std::string av_message(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof(text));
  return text;
}

struct CloseInput {
  void operator()(AVFormatContext* f) const { avformat_close_input(&f); }
};
struct FreeCodec {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FreeSwr {
  void operator()(SwrContext* s) const { swr_free(&s); }
};
struct FreePacket {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct FreeFrame {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
using Input = std::unique_ptr<AVFormatContext, CloseInput>;

// FFmpeg's own logging would print to stderr beside ser's messages; its
// errors reach the user through ours instead.
void quiet_ffmpeg() {
  static const bool once = [] {
    av_log_set_level(AV_LOG_QUIET);
    return true;
  }();
  (void)once;
}

// The container format by the file's first bytes alone, as ser detects
// every format: never by its name (FFmpeg would open a .txt file as ANSI
// art). Null below FFmpeg's own confidence threshold (a quarter of the
// maximum score).
const AVInputFormat* detect_format(const std::string& path) {
  std::vector<unsigned char> head(size_t{1} << 20);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  const auto n = static_cast<size_t>(in.gcount());
  head.resize(n + AV_INPUT_BUFFER_PADDING_SIZE, 0);  // the probes may read past the data
  AVProbeData probe{};
  probe.filename = "";
  probe.buf = head.data();
  probe.buf_size = static_cast<int>(n);
  int score = 0;
  const AVInputFormat* format = av_probe_input_format3(&probe, 1, &score);
  return format && score > AVPROBE_SCORE_MAX / 4 ? format : nullptr;
}

Input open_input(const std::string& path) {
  quiet_ffmpeg();
  const AVInputFormat* format = detect_format(path);
  if (!format) throw fail(path, "not an audio file libsndfile reads, nor a container FFmpeg recognises by its content");
  AVFormatContext* raw = nullptr;
  const int rc = avformat_open_input(&raw, path.c_str(), format, nullptr);
  if (rc < 0) throw fail(path, "FFmpeg recognises a " + std::string(format->name) + " container but cannot open it (" + av_message(rc) + ")");
  Input in(raw);
  if (const int info = avformat_find_stream_info(in.get(), nullptr); info < 0)
    throw fail(path, "FFmpeg cannot read its streams (" + av_message(info) + ")");
  return in;
}

std::string stream_list(const AVFormatContext* in) {
  std::string s;
  for (unsigned i = 0; i < in->nb_streams; ++i) {
    const AVCodecParameters* p = in->streams[i]->codecpar;
    const char* type = av_get_media_type_string(p->codec_type);
    s += (s.empty() ? "" : ", ") + std::string(type ? type : "unknown") + " " + avcodec_get_name(p->codec_id);
  }
  return s.empty() ? "none" : s;
}

struct Track {
  int index = -1;
  const AVCodec* codec = nullptr;
};

Track best_audio(AVFormatContext* in, const std::string& path) {
  Track t;
  t.index = av_find_best_stream(in, AVMEDIA_TYPE_AUDIO, -1, -1, &t.codec, 0);
  if (t.index == AVERROR_STREAM_NOT_FOUND)
    throw fail(path, "has no audio track (its streams: " + stream_list(in) + ")");
  if (t.index < 0 || !t.codec)
    throw fail(path, "its audio track's codec (" +
                         std::string(avcodec_get_name(in->streams[std::max(t.index, 0)]->codecpar->codec_id)) +
                         ") cannot be decoded by this FFmpeg");
  return t;
}

MediaTrack describe(const AVFormatContext* in, const Track& t) {
  const AVStream* st = in->streams[t.index];
  MediaTrack m;
  m.sample_rate = st->codecpar->sample_rate;
  m.channels = st->codecpar->ch_layout.nb_channels;
  const double seconds = st->duration != AV_NOPTS_VALUE ? static_cast<double>(st->duration) * av_q2d(st->time_base)
                         : in->duration != AV_NOPTS_VALUE ? static_cast<double>(in->duration) / AV_TIME_BASE
                                                          : 0.0;
  m.frames = static_cast<int64_t>(seconds * m.sample_rate + 0.5);
  m.format = std::string(in->iformat->name) + " (" + t.codec->name + ")";
  return m;
}

void check_track(const MediaTrack& m, const std::string& path) {
  if (m.channels < 1 || m.channels > 256) throw fail(path, "its audio track has " + std::to_string(m.channels) + " channels");
  if (m.sample_rate < kMinSampleRate || m.sample_rate > kMaxSampleRate)
    throw fail(path, "its audio track's sample rate, " + std::to_string(m.sample_rate) + " Hz, is outside the " +
                         std::to_string(kMinSampleRate) + "-" + std::to_string(kMaxSampleRate) + " Hz ser reads");
}

// Decoder and converter of one track: packets in, interleaved float32 out.
class TrackDecoder {
 public:
  TrackDecoder(AVFormatContext* in, const Track& t, const std::string& path) : path_(path) {
    codec_.reset(avcodec_alloc_context3(t.codec));
    if (!codec_ || avcodec_parameters_to_context(codec_.get(), in->streams[t.index]->codecpar) < 0)
      throw fail(path, "cannot set up the " + std::string(t.codec->name) + " decoder");
    if (const int rc = avcodec_open2(codec_.get(), t.codec, nullptr); rc < 0)
      throw fail(path, "cannot open the " + std::string(t.codec->name) + " decoder (" + av_message(rc) + ")");
    frame_.reset(av_frame_alloc());
  }

  // Sends one packet (null: the end) and hands every frame it completes to
  // `take`; false when `take` asked to stop.
  bool feed(const AVPacket* packet, const FrameBlock& take) {
    const int sent = avcodec_send_packet(codec_.get(), packet);
    if (sent < 0 && sent != AVERROR_EOF)
      throw fail(path_, "damaged audio, the decoder refused a packet (" + av_message(sent) + ")");
    for (;;) {
      const int rc = avcodec_receive_frame(codec_.get(), frame_.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return true;
      if (rc < 0) throw fail(path_, "damaged audio, a frame could not be decoded (" + av_message(rc) + ")");
      const bool more = take_frame(take);
      av_frame_unref(frame_.get());
      if (!more) return false;
    }
  }

 private:
  bool take_frame(const FrameBlock& take) {
    const AVFrame* f = frame_.get();
    if (!swr_) open_converter(f);
    const int C = f->ch_layout.nb_channels;
    if (C != channels_) throw fail(path_, "the audio track changes its channel count midway");
    buffer_.resize(static_cast<size_t>(f->nb_samples) * static_cast<size_t>(C));
    uint8_t* out[1] = {reinterpret_cast<uint8_t*>(buffer_.data())};
    const int n = swr_convert(swr_.get(), out, f->nb_samples, const_cast<const uint8_t**>(f->extended_data), f->nb_samples);
    if (n < 0) throw fail(path_, "cannot convert the decoded samples (" + av_message(n) + ")");
    return n == 0 || take(buffer_.data(), n);
  }

  // Same layout and rate, sample format float32 interleaved: only the format changes.
  void open_converter(const AVFrame* f) {
    SwrContext* raw = nullptr;
    const auto fmt = static_cast<AVSampleFormat>(f->format);
    AVChannelLayout layout{};  // FFmpeg 5.1 takes the layout by a non-const pointer
    if (av_channel_layout_copy(&layout, &f->ch_layout) < 0) throw fail(path_, "cannot read its channel layout");
    const int rc = swr_alloc_set_opts2(&raw, &layout, AV_SAMPLE_FMT_FLT, f->sample_rate, &layout, fmt, f->sample_rate, 0, nullptr);
    av_channel_layout_uninit(&layout);
    if (rc < 0 || swr_init(raw) < 0) {
      swr_free(&raw);
      throw fail(path_, "cannot convert samples of format " + std::string(av_get_sample_fmt_name(fmt) ?: "unknown"));
    }
    swr_.reset(raw);
    channels_ = f->ch_layout.nb_channels;
  }

  std::string path_;
  std::unique_ptr<AVCodecContext, FreeCodec> codec_;
  std::unique_ptr<AVFrame, FreeFrame> frame_;
  std::unique_ptr<SwrContext, FreeSwr> swr_;
  int channels_ = 0;
  std::vector<float> buffer_;
};

}  // namespace

MediaTrack probe_media_audio(const std::string& path) {
  Input in = open_input(path);
  const MediaTrack m = describe(in.get(), best_audio(in.get(), path));
  check_track(m, path);
  return m;
}

MediaTrack decode_media_audio(const std::string& path, const std::function<FrameBlock(const MediaTrack&)>& begin) {
  Input in = open_input(path);
  const Track t = best_audio(in.get(), path);
  const MediaTrack m = describe(in.get(), t);
  check_track(m, path);
  const FrameBlock take = begin(m);
  TrackDecoder decoder(in.get(), t, path);
  std::unique_ptr<AVPacket, FreePacket> packet(av_packet_alloc());
  for (;;) {
    const int rc = av_read_frame(in.get(), packet.get());
    if (rc == AVERROR_EOF) break;
    if (rc < 0) throw fail(path, "cannot read the container (" + av_message(rc) + ")");
    const bool ours = packet->stream_index == t.index;
    const bool more = !ours || decoder.feed(packet.get(), take);
    av_packet_unref(packet.get());
    if (!more) return m;
  }
  decoder.feed(nullptr, take);  // the frames the decoder still holds
  return m;
}

}  // namespace ser::dsp
