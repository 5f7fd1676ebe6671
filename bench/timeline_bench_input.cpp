// The recording of the timeline's side-by-side benchmark
// (bench/timeline_compare.py): ten minutes of shared TESS files one after
// another with pauses and background noise (tests/support/speech_recording.hpp,
// seed 1), as a float32 WAV at TESS's 24,414 Hz.
//   timeline_bench_input OUT.wav [SECONDS]
#include <cstdio>
#include <cstdlib>

#include "common/data_dir.hpp"
#include "datasets/audio_corpora.hpp"
#include "support/speech_recording.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: timeline_bench_input OUT.wav [SECONDS]\n");
    return 2;
  }
  const double seconds = argc > 2 ? std::atof(argv[2]) : 600.0;
  const auto tess = ser::datasets::load_tess(ser::data_dir(SER_DEFAULT_DATA_DIR) + "/tess");
  // About 3.2 s per file with its pause: enough files, then cut to length.
  ser::test::SpeechRecording r = ser::test::make_speech_recording(
      tess, {.files = static_cast<int>(seconds / 2.5) + 2, .seed = 1});
  r.samples.resize(static_cast<size_t>(seconds * r.sample_rate));
  ser::dsp::save_wav(argv[1], r.samples, r.sample_rate, ser::dsp::SampleFormat::float32);
  std::printf("%s: %.1f s at %d Hz\n", argv[1], r.seconds(), r.sample_rate);
  return 0;
}
