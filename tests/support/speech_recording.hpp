#pragma once
// A long recording with a known answer: shared corpus files (TESS,
// RAVDESS, any Corpus) of known emotions one after another, pauses between
// them, and quiet background noise over everything (pauses and speech). Seeded: the same seed gives
// the same samples, files and truth. Used by test_timeline and by the
// timeline benchmark's ten-minute recording.

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "datasets/corpus.hpp"
#include "dsp/audio.hpp"
#include "dsp/silence.hpp"

namespace ser::test {

struct KnownStretch {
  double start = 0, end = 0;                // seconds in the recording: the file's whole extent
  double speech_start = 0, speech_end = 0;  // where its speech is: the file trimmed 30 dB under its peak
  std::string emotion, file;
};

struct SpeechRecording {
  std::vector<float> samples;
  int sample_rate = 0;
  std::vector<KnownStretch> truth;
  double seconds() const { return static_cast<double>(samples.size()) / sample_rate; }
};

struct RecordingRecipe {
  int files = 20;
  double min_pause = 0.6, max_pause = 1.4;  // seconds, uniform
  double noise_dbfs = -60;                  // the noise's RMS against full scale
  uint64_t seed = 1;
};

// Files drawn from `corpus` with the seed, every one resampled to the first one's rate.
inline SpeechRecording make_speech_recording(const datasets::Corpus& corpus, const RecordingRecipe& r) {
  std::mt19937_64 rng(r.seed);
  std::uniform_int_distribution<size_t> pick(0, corpus.samples.size() - 1);
  std::uniform_real_distribution<double> pause(r.min_pause, r.max_pause);
  std::normal_distribution<double> noise(0.0, std::pow(10.0, r.noise_dbfs / 20));
  SpeechRecording out;
  auto silence = [&](double seconds) {
    out.samples.resize(out.samples.size() + static_cast<size_t>(std::lround(seconds * out.sample_rate)), 0.0f);
  };
  for (int i = 0; i < r.files; ++i) {
    const datasets::Sample& s = corpus.samples[pick(rng)];
    dsp::LoadOptions o;
    o.sample_rate = out.sample_rate;  // 0 for the first: its own rate
    const dsp::Audio a = dsp::load_audio(s.path, o);
    if (out.sample_rate == 0) out.sample_rate = a.sample_rate;
    silence(pause(rng));
    const double start = static_cast<double>(out.samples.size()) / out.sample_rate;
    dsp::SilenceOptions speech;
    speech.top_db = 30;
    const dsp::Interval t = dsp::trim(a.samples, speech);
    out.samples.insert(out.samples.end(), a.samples.begin(), a.samples.end());
    out.truth.push_back({start, static_cast<double>(out.samples.size()) / out.sample_rate,
                         start + static_cast<double>(t.start) / out.sample_rate,
                         start + static_cast<double>(t.end) / out.sample_rate, s.label, s.path});
  }
  silence(pause(rng));
  for (float& v : out.samples) v += static_cast<float>(noise(rng));
  return out;
}

}  // namespace ser::test
