#include "dsp/microphone.hpp"

#include <fcntl.h>
#include <portaudio.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "dsp/audio.hpp"
#include "dsp/mono_mix.hpp"

namespace ser::dsp {

namespace {

// PortAudio probes every host API as it starts (ALSA, JACK), and their
// libraries print pages of "cannot find card" on a machine without sound
// hardware. What matters reaches the user in ser's own error (the devices
// found); the libraries' chatter is sent to /dev/null while they probe.
class QuietStderr {
 public:
  QuietStderr() : saved_(::dup(2)) {
    const int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) {
      ::dup2(null, 2);
      ::close(null);
    }
  }
  ~QuietStderr() {
    if (saved_ >= 0) {
      ::dup2(saved_, 2);
      ::close(saved_);
    }
  }
  QuietStderr(const QuietStderr&) = delete;
  QuietStderr& operator=(const QuietStderr&) = delete;

 private:
  int saved_;
};

// One Pa_Initialize / Pa_Terminate pair.
class Session {
 public:
  Session() {
    QuietStderr quiet;
    if (const PaError e = Pa_Initialize(); e != paNoError)
      throw AudioError(std::string("audio input: PortAudio cannot start: ") + Pa_GetErrorText(e));
  }
  ~Session() { Pa_Terminate(); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
};

std::vector<InputDevice> enumerate() {
  std::vector<InputDevice> out;
  const int n = Pa_GetDeviceCount();
  const int def = Pa_GetDefaultInputDevice();
  for (int i = 0; i < n; ++i) {
    const PaDeviceInfo* d = Pa_GetDeviceInfo(i);
    if (!d || d->maxInputChannels < 1) continue;
    const PaHostApiInfo* api = Pa_GetHostApiInfo(d->hostApi);
    out.push_back({i, d->name ? d->name : "?", api && api->name ? api->name : "?", d->maxInputChannels,
                   d->defaultSampleRate, i == def});
  }
  return out;
}

const InputDevice& choose(const std::vector<InputDevice>& devices, const std::string& wanted) {
  const std::string list = describe_devices(devices);
  if (devices.empty())
    throw AudioError("audio input: no input device found (a server without a microphone?); read a stream with "
                     "--stdin or a file with --realtime instead");
  if (wanted.empty()) {
    for (const auto& d : devices)
      if (d.is_default) return d;
    return devices.front();
  }
  char* end = nullptr;
  const long index = std::strtol(wanted.c_str(), &end, 10);
  for (const auto& d : devices)
    if ((end && *end == '\0' && d.index == index) || d.name.find(wanted) != std::string::npos) return d;
  throw AudioError("audio input: no input device '" + wanted + "'; the devices found:\n" + list);
}

}  // namespace

std::vector<InputDevice> input_devices() {
  Session session;
  return enumerate();
}

std::string describe_devices(const std::vector<InputDevice>& devices) {
  if (devices.empty()) return "  no input devices\n";
  std::string s;
  for (const auto& d : devices)
    s += "  " + std::to_string(d.index) + ": " + d.name + " (" + d.host_api + ", " + std::to_string(d.channels) +
         " channels, " + std::to_string(static_cast<int>(d.default_rate)) + " Hz)" + (d.is_default ? " [default]" : "") +
         "\n";
  return s;
}

struct Microphone::Stream {
  Session session;
  PaStream* stream = nullptr;
  int channels = 1;
  Block on_block;
  std::vector<float> mono;

  static int callback(const void* input, void*, unsigned long frames, const PaStreamCallbackTimeInfo*,
                      PaStreamCallbackFlags, void* self) {
    auto* s = static_cast<Stream*>(self);
    const auto* in = static_cast<const float*>(input);
    if (!in) return paContinue;
    s->mono.resize(frames);
    for (unsigned long i = 0; i < frames; ++i) s->mono[i] = mono_of(in + i * static_cast<unsigned long>(s->channels), s->channels);
    s->on_block(s->mono.data(), frames);
    return paContinue;
  }

  ~Stream() {
    if (stream) {
      Pa_StopStream(stream);
      Pa_CloseStream(stream);
    }
  }
};

Microphone::Microphone(const std::string& device, int rate, Block on_block) : stream_(std::make_unique<Stream>()) {
  std::vector<InputDevice> devices;
  {
    QuietStderr quiet;
    devices = enumerate();
  }
  const InputDevice& d = choose(devices, device);
  name_ = d.name;
  rate_ = rate > 0 ? rate : static_cast<int>(d.default_rate);
  stream_->channels = std::min(d.channels, 2);
  stream_->on_block = std::move(on_block);
  PaStreamParameters in{};
  in.device = d.index;
  in.channelCount = stream_->channels;
  in.sampleFormat = paFloat32;
  in.suggestedLatency = Pa_GetDeviceInfo(d.index)->defaultLowInputLatency;
  PaError e = Pa_OpenStream(&stream_->stream, &in, nullptr, rate_, paFramesPerBufferUnspecified, paNoFlag,
                            &Stream::callback, stream_.get());
  if (e == paNoError) e = Pa_StartStream(stream_->stream);
  if (e != paNoError)
    throw AudioError("audio input '" + d.name + "' at " + std::to_string(rate_) + " Hz cannot be opened: " +
                     Pa_GetErrorText(e) + "; the devices found:\n" + describe_devices(devices));
}

Microphone::~Microphone() = default;

}  // namespace ser::dsp
