#include "experiments/listen_command.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/npy.hpp"
#include "dsp/audio.hpp"
#include "dsp/microphone.hpp"
#include "dsp/pcm.hpp"
#include "experiments/arg_parser.hpp"
#include "experiments/feature_options.hpp"
#include "experiments/listener.hpp"
#include "experiments/stop_signal.hpp"

namespace ser::experiments {

namespace {

constexpr const char* kListenDescription = R"(Follows the emotion of live audio: every --hop seconds the last window of the model's
input length is classified (unless it is quieter than --gate-dbfs throughout), and the
emotion with a bar per class is shown on a terminal, a plain line per window otherwise,
or a JSON line per window with --json. Audio comes from the default microphone (or
--device, by index or name; --list-devices), from raw PCM on standard input (--stdin with
--rate, --format and --channels; e.g. ffmpeg -i talk.mp4 -f f32le -ac 1 -ar 16000 - |
ser listen --stdin --rate 16000 --format f32le --model RUN), or from a file played at its
own pace (--realtime FILE). It resamples in a stream and computes only the new frames'
features per hop. Ctrl-C, the end of the input or --seconds end it with a summary: the
windows, and the latency from the arrival of a window's last sample to its prediction
(median and 99th percentile).)";


// What the user sees per window.
class Display {
 public:
  Display(const std::vector<std::string>& labels, bool json) : labels_(labels), json_(json), tty_(::isatty(1)) {}
  void show(const ListenWindow& w) {
    if (json_) return json_line(w);
    if (!tty_) return plain_line(w);
    bars(w);
  }

 private:
  void json_line(const ListenWindow& w) {
    nlohmann::ordered_json j = {{"window", w.index}, {"start", w.start}, {"end", w.end}, {"level_dbfs", w.level_dbfs},
                                {"silent", w.silent}};
    if (!w.silent) {
      j["emotion"] = labels_[static_cast<size_t>(w.label)];
      for (size_t c = 0; c < labels_.size(); ++c) j["probabilities"][labels_[c]] = w.probabilities[c];
      for (size_t c = 0; c < labels_.size(); ++c) j["smoothed"][labels_[c]] = w.smoothed[c];
      j["latency_ms"] = w.latency_ms;
    }
    std::cout << j.dump() << "\n" << std::flush;
  }
  void plain_line(const ListenWindow& w) {
    if (w.silent)
      std::printf("%8.2f-%8.2f s  (silence, %.0f dBFS)\n", w.start, w.end, w.level_dbfs);
    else
      std::printf("%8.2f-%8.2f s  %-12s %.2f\n", w.start, w.end, labels_[static_cast<size_t>(w.label)].c_str(),
                  static_cast<double>(w.smoothed[static_cast<size_t>(w.label)]));
    std::fflush(stdout);
  }
  // The current emotion and a bar per class, redrawn in place.
  void bars(const ListenWindow& w) {
    if (drawn_) std::printf("\033[%zuA", labels_.size() + 1);
    if (w.silent)
      std::printf("\033[2K%8.1f s  (silence, %.0f dBFS)\n", w.end, w.level_dbfs);
    else
      std::printf("\033[2K%8.1f s  \033[1m%s\033[0m\n", w.end, labels_[static_cast<size_t>(w.label)].c_str());
    for (size_t c = 0; c < labels_.size(); ++c) {
      const double p = w.silent ? 0.0 : w.smoothed[c];
      const int n = static_cast<int>(p * 40 + 0.5);
      std::printf("\033[2K  %-12s %s%s %.2f\n", labels_[c].c_str(), std::string(static_cast<size_t>(n), '#').c_str(),
                  std::string(static_cast<size_t>(40 - n), '.').c_str(), p);
    }
    std::fflush(stdout);
    drawn_ = true;
  }
  std::vector<std::string> labels_;
  bool json_, tty_, drawn_ = false;
};

// Raw PCM from standard input until its end, a stop, or `limit` seconds.
void listen_stdin(Listener& listener, const ArgParser& p, double limit) {
  const int channels = p.integer("--channels");
  dsp::PcmFormat format = dsp::PcmFormat::s16le;
  const std::string name = p.text("--format");
  if (name == "f32le") format = dsp::PcmFormat::f32le;
  else if (name != "s16le") throw UsageError("--format must be s16le or f32le, not '" + name + "'");
  std::vector<uint8_t> bytes;
  std::vector<float> mono;
  uint8_t buf[1 << 14];
  int64_t frames = 0;
  while (!stop_requested() && (limit <= 0 || listener.seconds() < limit)) {
    const ssize_t n = ::read(0, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(std::string("standard input: ") + std::strerror(errno));
    if (n == 0) break;
    bytes.insert(bytes.end(), buf, buf + n);
    mono.clear();
    const size_t used = dsp::pcm_to_mono(bytes, format, channels, frames, mono);
    bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(used));
    frames += static_cast<int64_t>(mono.size());
    listener.feed(mono);
  }
  if (!bytes.empty())
    std::cerr << "ser listen: the stream ended inside a frame; its last " << bytes.size()
              << " bytes were left out (--format and --channels say a frame is "
              << dsp::bytes_per_sample(format) * channels << " bytes)\n";
}

// A file fed at its own pace, in blocks of 10 ms.
void listen_realtime(Listener& listener, const dsp::Audio& audio, double limit) {
  const size_t block = static_cast<size_t>(std::max(1, audio.sample_rate / 100));
  const auto start = std::chrono::steady_clock::now();
  for (size_t at = 0; at < audio.samples.size() && !stop_requested(); at += block) {
    if (limit > 0 && listener.seconds() >= limit) break;
    const size_t n = std::min(block, audio.samples.size() - at);
    std::this_thread::sleep_until(start + std::chrono::duration<double>(static_cast<double>(at + n) / audio.sample_rate));
    listener.feed(std::span<const float>(audio.samples).subspan(at, n));
  }
}

// The microphone: PortAudio's callback queues blocks, this thread feeds them
// to the listener as the stdin path does.
void listen_microphone(const std::string& device, int rate, double limit, const std::function<Listener&(int)>& make) {
  struct Block {
    std::vector<float> samples;
    std::chrono::steady_clock::time_point arrived;
  };
  std::mutex m;
  std::condition_variable cv;
  std::deque<Block> queue;
  dsp::Microphone mic(device, rate, [&](const float* x, size_t n) {
    {
      std::lock_guard lock(m);
      queue.push_back({std::vector<float>(x, x + n), std::chrono::steady_clock::now()});
    }
    cv.notify_one();
  });
  Listener& l = make(mic.sample_rate());
  std::cerr << "listening to " << mic.name() << " at " << mic.sample_rate() << " Hz (Ctrl-C ends)\n";
  while (!stop_requested() && (limit <= 0 || l.seconds() < limit)) {
    std::unique_lock lock(m);
    cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return !queue.empty(); });
    while (!queue.empty()) {
      Block b = std::move(queue.front());
      queue.pop_front();
      lock.unlock();
      l.feed(b.samples, b.arrived);
      lock.lock();
    }
  }
}

void print_summary(const Listener& l, int64_t windows, int64_t silent) {
  const LatencySummary s = l.latency();
  std::fprintf(stderr, "%lld windows (%lld silent) over %.1f s of audio; latency from a window's last sample to its "
                       "prediction: median %.2f ms, 99th percentile %.2f ms, max %.2f ms\n",
               static_cast<long long>(windows), static_cast<long long>(silent), l.seconds(), s.median_ms, s.p99_ms,
               s.max_ms);
}

}  // namespace

namespace {

void add_options(ArgParser& p, const Settings& settings) {
  p.option("--model", "DIR_OR_FILE", "a run directory or a .sermodel file of an audio model (required)")
      .option("--device", "INDEX_OR_NAME", "the input device (default: the system's default input)")
      .flag("--list-devices", "list the input devices and exit")
      .flag("--stdin", "read raw PCM from standard input instead of a device")
      .option("--rate", "HZ", "the sample rate of --stdin, or the device's rate (default: its own)")
      .option("--format", "s16le|f32le", "--stdin's samples", "s16le")
      .option("--channels", "N", "--stdin's channels, mixed to mono", "1")
      .option("--realtime", "FILE", "play a file at its own pace instead of a device (demos, tests)");
  add_settings_options(p, settings);
  p.flag("--json", "one JSON line per window: times, level, emotion, probabilities, latency")
      .option("--save-inputs", "FILE.npy", "every classified window's model input, [windows, input values], float32")
      .option("--seconds", "S", "stop after this much audio")
      .option("--threads", "N", "threads the model may use (default 0: every core)");
}

// What the windows leave behind: counts for the summary, inputs for --save-inputs.
struct Heard {
  int64_t windows = 0, silent = 0, input_rows = 0;
  std::vector<float> inputs;
  void add(const ListenWindow& w) {
    ++windows;
    silent += w.silent;
    if (w.input.empty()) return;
    inputs.insert(inputs.end(), w.input.begin(), w.input.end());
    ++input_rows;
  }
};

// Feeds the chosen source to a listener made at the source's rate; returns
// the exit status (1 when the stream broke off with an error).
int run_source(const ArgParser& p, const std::function<Listener&(int)>& make, std::optional<Listener>& listener) {
  const double limit = p.given("--seconds") ? p.number("--seconds") : 0;
  try {
    if (p.given("--stdin")) {
      listen_stdin(make(p.integer("--rate")), p, limit);
    } else if (const auto file = p.maybe("--realtime")) {
      const dsp::Audio audio = dsp::load_audio(*file);
      listen_realtime(make(audio.sample_rate), audio, limit);
    } else {
      listen_microphone(p.maybe("--device").value_or(""), p.given("--rate") ? p.integer("--rate") : 0, limit, make);
    }
    if (listener && !stop_requested()) listener->finish();
  } catch (const dsp::AudioError& e) {
    if (!listener) throw;  // nothing heard yet: an ordinary error
    std::cerr << "ser listen: " << e.what() << "; the stream ends here\n";
    return 1;
  }
  return 0;
}

}  // namespace

int listen_command(const std::vector<std::string>& args) {
  ArgParser p("listen", kListenDescription);
  ListenOptions options;
  Settings settings;
  options.register_settings(settings);
  add_options(p, settings);
  if (!p.parse(args)) return 0;
  if (p.given("--list-devices")) {
    std::cout << dsp::describe_devices(dsp::input_devices());
    return 0;
  }
  const auto model = p.maybe("--model");
  if (!model) throw UsageError("--model is required: a run directory or a .sermodel file");
  if (p.given("--stdin") && !p.given("--rate")) throw UsageError("--stdin needs --rate: raw PCM does not say its rate");
  if (p.given("--stdin") && p.given("--realtime")) throw UsageError("--stdin and --realtime are two sources; give one");
  read_settings_options(p, settings);
  EmotionPredictor predictor(*model, p.given("--threads") ? p.integer("--threads") : 0);
  Display display(predictor.labels(), p.given("--json"));
  Heard heard;
  std::optional<Listener> listener;
  auto make = [&](int rate) -> Listener& {
    listener.emplace(predictor, rate, options, [&](const ListenWindow& w) {
      heard.add(w);
      display.show(w);
    });
    listener->keep_inputs = p.given("--save-inputs");
    return *listener;
  };
  catch_stop_signals();
  const int status = run_source(p, make, listener);
  if (!listener) return status;
  if (const auto out = p.maybe("--save-inputs")) {
    const int64_t width = heard.input_rows ? static_cast<int64_t>(heard.inputs.size()) / heard.input_rows : 0;
    write_npy(*out, {heard.input_rows, width}, heard.inputs);
  }
  print_summary(*listener, heard.windows, heard.silent);
  return status;
}

}  // namespace ser::experiments
