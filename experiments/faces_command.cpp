#include "experiments/faces_command.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <opencv2/highgui.hpp>
#include <optional>

#include "experiments/arg_parser.hpp"
#include "experiments/faces.hpp"
#include "experiments/feature_options.hpp"
#include "experiments/progress.hpp"
#include "experiments/stop_signal.hpp"
#include "vision/frame_prefetch.hpp"
#include "vision/frame_sink.hpp"
#include "vision/frame_source.hpp"
#include "vision/vision_error.hpp"

namespace ser::experiments {

namespace {

struct Totals {
  int64_t frames = 0, faces = 0, frames_without_faces = 0;
};

// The line per face printed without --json: "file [frame 12, 0.48 s]: face at 120,80 96x96: happy 0.91".
void print_faces(const FrameResult& r, const vision::FrameSource& source) {
  std::string where = r.name;
  if (source.kind() == vision::SourceKind::video || source.kind() == vision::SourceKind::camera) {
    char at[64];
    std::snprintf(at, sizeof(at), " [frame %lld, %.2f s]", static_cast<long long>(r.index), r.seconds);
    where += at;
  }
  if (r.faces.empty()) std::cout << where << ": no face found\n";
  for (const FaceResult& f : r.faces) {
    char line[160];
    std::snprintf(line, sizeof(line), ": face at %d,%d %dx%d: %s %.2f", f.box.x, f.box.y, f.box.width, f.box.height,
                  f.emotion.c_str(), f.probability);
    std::cout << where << line << "\n";
  }
}

bool have_display() {
  const char* x = std::getenv("DISPLAY");
  const char* w = std::getenv("WAYLAND_DISPLAY");
  return (x && *x) || (w && *w);
}

// Runs the pipeline over one source; writes, prints and shows as asked.
void run_source(vision::FrameSource source, FacePipeline& pipeline, const ArgParser& p, int64_t max_frames,
                Totals& totals) {
  const bool json = p.given("--json"), show = p.given("--show");
  std::unique_ptr<vision::FrameSink> sink;
  if (const auto out = p.maybe("--out")) sink = std::make_unique<vision::FrameSink>(*out, source.kind(), source.fps());
  const bool moving = source.kind() == vision::SourceKind::video || source.kind() == vision::SourceKind::camera;
  ProgressBar bar("faces " + source.name(), /*plain_lines=*/false);
  vision::Frame frame;
  std::optional<vision::FramePrefetch> frames(std::in_place, source);  // the next frames decode meanwhile
  while (!stop_requested() && (max_frames <= 0 || totals.frames < max_frames) && frames->next(frame)) {
    const FrameResult r = pipeline.process(frame);
    ++totals.frames;
    totals.faces += static_cast<int64_t>(r.faces.size());
    totals.frames_without_faces += r.faces.empty();
    if (json)
      std::cout << frame_json(r, pipeline.labels()) << "\n" << std::flush;
    else if (!moving || !sink)
      print_faces(r, source);
    if (sink || show) draw_faces(frame.image, r);
    if (sink) sink->write(frame);
    if (show) {
      cv::imshow("ser faces", frame.image);
      if (cv::waitKey(moving ? 1 : 0) == 27) break;  // Esc stops
    }
    if (moving) bar.update(frame.index + 1, source.frame_count());
  }
  frames.reset();
  if (moving) bar.finish();
  if (sink) sink->close();
  for (const std::string& s : source.skipped()) std::cerr << "skipped " << s << "\n";
}

// The options after INPUT and --model/--camera/--cascade: the detector's
// registered settings, then the output's.
void declare_output_options(ArgParser& p, Settings& detector_settings) {
  add_settings_options(p, detector_settings);
  p.option("--smooth", "N", "average each face's probabilities over its last N frames (video)", "1")
      .option("--out", "FILE_OR_DIR", "write the annotated image (.png, .jpg), folder of images, or video (.avi, .mp4)")
      .flag("--json", "print one JSON line per frame instead of a line per face")
      .flag("--show", "show the annotated frames in a window (needs a display)")
      .option("--max-frames", "N", "stop after N frames (0: all)", "0")
      .option("--threads", "N", "threads the model may use (0: every core)", "0");
}

// Combinations that cannot work, refused before the model loads.
void check_usage(const ArgParser& p) {
  if (!p.maybe("--model")) throw UsageError("--model is required: a run directory or .sermodel file of a face model");
  if (p.positionals().empty() == !p.given("--camera"))
    throw UsageError(p.given("--camera") ? "give either INPUT files or --camera N, not both"
                                         : "give an image, a folder, a video or --camera N");
  if (p.given("--out") && p.positionals().size() > 1)
    throw UsageError("--out takes one INPUT (an annotated copy of it); give the inputs one at a time");
  if (p.given("--show") && !have_display())
    throw UsageError("--show needs a display (DISPLAY is not set); use --out to write the annotated frames instead");
  if (p.integer("--smooth") < 1) throw UsageError("--smooth must be at least 1 frame");
}

void print_rates(const Totals& totals, double seconds, const FacePipeline& pipeline) {
  std::fprintf(stderr,
               "%lld frames, %lld faces (%lld frames without a face) in %.2f s: %.1f frames/s, %.1f faces/s "
               "(detector %.2f s, classifier %.2f s)\n",
               static_cast<long long>(totals.frames), static_cast<long long>(totals.faces),
               static_cast<long long>(totals.frames_without_faces), seconds, totals.frames / seconds,
               totals.faces / seconds, pipeline.detect_seconds(), pipeline.classify_seconds());
}

}  // namespace

int faces_command(const std::vector<std::string>& args) {
  ArgParser p("faces", R"(Finds every face in images, folders of images, video files or a camera stream (OpenCV's
Haar cascade, as the published TestEmotionDetector.py), crops each as the model's
training faces were made (grayscale, resized to its input) and classifies it with a FER
model trained by `ser train`. Prints a line per face, or with --json one JSON line per
frame (boxes, emotion, every class probability); --out draws the boxes and labels into
an image, a folder of images or a video. Frames and faces per second at the end.
Example: ser faces party.jpg clips/interview.mp4 --model runs/fer2013_cnn/20261202 --json)");
  p.optional_positionals("INPUT", "images, folders of images or video files (or --camera N)")
      .option("--model", "DIR_OR_FILE", "a run directory or .sermodel file of an image model (required)")
      .option("--camera", "N", "read camera N (any device OpenCV opens; Esc or Ctrl-C stops)")
      .option("--cascade", "FILE", "the Haar cascade (default: haarcascade_frontalface_default.xml of opencv-data)");
  Settings detector_settings;
  FacesOptions o;
  o.detector.register_settings(detector_settings);
  declare_output_options(p, detector_settings);
  if (!p.parse(args)) return 0;
  read_settings_options(p, detector_settings);
  check_usage(p);
  o.detector.cascade = p.maybe("--cascade").value_or("");
  o.smooth = p.integer("--smooth");
  o.threads = p.integer("--threads");
  const int64_t max_frames = p.integer("--max-frames");
  FacePipeline pipeline(*p.maybe("--model"), o);
  Totals totals;
  catch_stop_signals();  // Ctrl-C ends a stream like its last frame; | head does not cost the --out video
  const auto t0 = std::chrono::steady_clock::now();
  if (p.given("--camera")) {
    run_source(vision::FrameSource::camera(p.integer("--camera")), pipeline, p, max_frames, totals);
  } else {
    for (const std::string& input : p.positionals())
      run_source(vision::FrameSource::open(input), pipeline, p, max_frames, totals);
  }
  print_rates(totals, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), pipeline);
  return 0;
}

}  // namespace ser::experiments
