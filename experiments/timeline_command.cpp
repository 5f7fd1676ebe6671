#include "experiments/timeline_command.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>

#include "common/atomic_file.hpp"
#include "common/npy.hpp"
#include "dsp/audio.hpp"
#include "experiments/arg_parser.hpp"
#include "experiments/feature_options.hpp"
#include "experiments/progress.hpp"
#include "experiments/timeline.hpp"
#include "experiments/timeline_plot.hpp"

namespace ser::experiments {

namespace {

constexpr const char* kTimelineDescription = R"(Follows emotion through a long recording (an interview, a call, a podcast, a film's
sound). Its stretches of sound are found with librosa's effects.split (frames more than
--silence-top-db below the loudest are silence; pauses shorter than --min-pause do not
count), each is cut into windows of the model's input length every --hop seconds (the
first at its onset, the last ending at its end, a short stretch one padded window), each
window is classified, --smooth neighbouring windows are averaged, and runs of one emotion
become segments. Prints the segments; --json and --csv keep every window and segment with
every class probability; --plot draws the waveform under its segments and each class's
probability over time. Reads every format libsndfile reads and the audio track of video
and audio containers (MP4, M4A, MKV, WebM, ...) through FFmpeg.
Example: ser timeline interview.mp4 --model runs/tess_cnn1d_mfcc --hop 0.5 --plot t.png)";

void write_outputs(const ArgParser& p, const Timeline& t) {
  if (const auto out = p.maybe("--json")) {
    if (*out == "-")
      std::cout << timeline_json(t);
    else
      write_file_atomically(*out, timeline_json(t));
  }
  if (const auto out = p.maybe("--csv")) write_file_atomically(*out, timeline_csv(t));
  if (const auto out = p.maybe("--save-inputs")) {
    const auto rows = static_cast<int64_t>(t.windows.size());
    write_npy(*out, {rows, rows ? static_cast<int64_t>(t.inputs.size()) / rows : 0}, t.inputs);
  }
  if (const auto out = p.maybe("--plot")) write_timeline_plot(*out, t, p.given("--plot-width") ? p.integer("--plot-width") : 1600);
}

}  // namespace

int timeline_command(const std::vector<std::string>& args) {
  ArgParser p("timeline", kTimelineDescription);
  TimelineOptions options;
  Settings settings;
  options.register_settings(settings);
  p.positional("AUDIO", "a recording: any format libsndfile reads, or a video or audio container")
      .option("--model", "DIR_OR_FILE", "a run directory or a .sermodel file of an audio model (required)");
  add_settings_options(p, settings);
  p.option("--json", "FILE", "every window and segment as JSON ('-': standard output)")
      .option("--csv", "FILE", "segments and windows as CSV: kind, start, end, emotion, p_<class>...")
      .option("--plot", "FILE.png", "the waveform with coloured segments over each class's probability in time")
      .option("--plot-width", "PIXELS", "the picture's width", "1600")
      .option("--save-inputs", "FILE.npy", "every window's model input, [windows, input values], float32")
      .option("--threads", "N", "threads the model may use (default 0: every core)");
  if (!p.parse(args)) return 0;
  const auto model = p.maybe("--model");
  if (!model) throw UsageError("--model is required: a run directory or a .sermodel file");
  read_settings_options(p, settings);
  options.keep_inputs = p.given("--save-inputs");
  EmotionPredictor predictor(*model, p.given("--threads") ? p.integer("--threads") : 0);
  const std::string file = p.positionals().front();
  const auto t0 = std::chrono::steady_clock::now();
  const dsp::Audio audio = dsp::load_audio(file);
  ProgressBar bar("timeline", /*plain_lines=*/false);
  Timeline t = make_timeline(predictor, audio, options, [&](int64_t done, int64_t total) { bar.update(done, total); });
  bar.finish();
  t.file = file;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const bool json_to_stdout = p.maybe("--json") == std::optional<std::string>("-");
  if (!json_to_stdout) {
    std::cout << timeline_table(t);
    std::printf("%.1f s of audio in %.2f s (%.0fx real time)\n", t.seconds, seconds, t.seconds / seconds);
  }
  write_outputs(p, t);
  return 0;
}

}  // namespace ser::experiments
