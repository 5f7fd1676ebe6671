#pragma once
// Audio from an input device, through PortAudio: a microphone, a line in,
// a loopback. Samples are mixed to mono float32 on PortAudio's thread and
// handed to a callback in the blocks the device delivers.

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ser::dsp {

struct InputDevice {
  int index = -1;
  std::string name, host_api;
  int channels = 0;          // most input channels
  double default_rate = 0;
  bool is_default = false;
};

// Every device with an input. Throws AudioError when PortAudio cannot start.
std::vector<InputDevice> input_devices();
// "no input devices" or one line per device, for errors and --list-devices.
std::string describe_devices(const std::vector<InputDevice>& devices);

class Microphone {
 public:
  using Block = std::function<void(const float* mono, size_t frames)>;
  // device: "" for the default input, an index, or (part of) a name.
  // rate: 0 for the device's default. Throws AudioError naming the devices
  // found when none matches, none exists (a server), or it cannot open.
  Microphone(const std::string& device, int rate, Block on_block);
  ~Microphone();
  Microphone(const Microphone&) = delete;
  Microphone& operator=(const Microphone&) = delete;
  int sample_rate() const { return rate_; }
  const std::string& name() const { return name_; }

 private:
  struct Stream;
  std::unique_ptr<Stream> stream_;
  int rate_ = 0;
  std::string name_;
};

}  // namespace ser::dsp
