// DSP benchmarks on a real 2 s clip (a TESS recording resampled to 22050 Hz,
// the rate the published pipelines use), for comparison with librosa's
// figures on this kind of machine (see bench/README.md).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "common/data_dir.hpp"
#include "dsp/audio.hpp"
#include "dsp/feature_spec.hpp"
#include "dsp/mfcc.hpp"
#include "dsp/resample.hpp"

namespace {
std::string data_dir() { return ser::data_dir(SER_DEFAULT_DATA_DIR); }
// YAF_bone_sad lasts 2.19 s at 24414 Hz.
const std::string kClip = "/tess/YAF_sad/YAF_bone_sad.flac";

const ser::dsp::Audio& clip_native() {
  static const ser::dsp::Audio a = ser::dsp::load_audio(data_dir() + kClip);
  return a;
}
const std::vector<float>& clip_22050() {
  static const std::vector<float> y = ser::dsp::resample(clip_native().samples, clip_native().sample_rate, 22050);
  return y;
}

// 40 MFCCs with an extractor built once (FFT plan, mel filterbank, DCT) and
// reused, as a data-set pipeline does. Arg 0: double precision; 1: single.
void mfcc40_2s(benchmark::State& state) {
  ser::dsp::MfccOptions o;
  o.cepstrum.n_mfcc = 40;
  o.stft.precision = state.range(0) ? ser::dsp::Precision::single : ser::dsp::Precision::double_;
  const ser::dsp::MfccExtractor extract(22050, o);
  const auto& y = clip_22050();
  for (auto _ : state) benchmark::DoNotOptimize(extract(y));
  state.counters["clip_seconds"] = static_cast<double>(y.size()) / 22050;
}
BENCHMARK(mfcc40_2s)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// The same including building the extractor on every call (librosa's mfcc() does that too).
void mfcc40_2s_one_shot(benchmark::State& state) {
  ser::dsp::MfccOptions o;
  o.cepstrum.n_mfcc = 40;
  o.stft.precision = state.range(0) ? ser::dsp::Precision::single : ser::dsp::Precision::double_;
  const auto& y = clip_22050();
  for (auto _ : state) benchmark::DoNotOptimize(ser::dsp::mfcc(y, 22050, o));
}
BENCHMARK(mfcc40_2s_one_shot)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void resample_2s_to_22050_hq(benchmark::State& state) {
  const auto& a = clip_native();
  for (auto _ : state) benchmark::DoNotOptimize(ser::dsp::resample(a.samples, a.sample_rate, 22050));
}
BENCHMARK(resample_2s_to_22050_hq)->Unit(benchmark::kMicrosecond);

void decode_2s_flac(benchmark::State& state) {
  const std::string path = data_dir() + kClip;
  for (auto _ : state) benchmark::DoNotOptimize(ser::dsp::load_audio(path));
}
BENCHMARK(decode_2s_flac)->Unit(benchmark::kMicrosecond);

void load_resample_mfcc_2s(benchmark::State& state) {
  const std::string path = data_dir() + kClip;
  ser::dsp::LoadOptions load;
  load.sample_rate = 22050;
  ser::dsp::MfccOptions o;
  o.cepstrum.n_mfcc = 40;
  for (auto _ : state) benchmark::DoNotOptimize(ser::dsp::mfcc(ser::dsp::load_audio(path, load).samples, 22050, o));
}
BENCHMARK(load_resample_mfcc_2s)->Unit(benchmark::kMicrosecond);

// Pitch and voice quality on a RAVDESS sentence (3.6 s, 48 kHz, resampled
// once to 16 kHz) with the settings of configs/ravdess_functionals_mlp.yaml:
// n_fft 1024, hop 256, f0 65-600 Hz. bench/pitch_compare.py times librosa's
// yin and pyin and Praat's jitter, shimmer and HNR on the same signal.
const std::string kSentence = "/ravdess/Actor_01/03-01-05-01-01-01-01.flac";  // angry, "Kids are talking by the door"

const std::vector<float>& sentence_16k() {
  static const std::vector<float> y = [] {
    const ser::dsp::Audio a = ser::dsp::load_audio(data_dir() + kSentence);
    return ser::dsp::resample(a.samples, a.sample_rate, 16000);
  }();
  return y;
}

void pitch_feature(benchmark::State& state, ser::dsp::FeatureKind kind) {
  ser::dsp::FeatureSpec spec;
  spec.kind = kind;
  spec.stft.n_fft = 1024;
  spec.stft.hop_length = 256;
  spec.pitch.fmin = 65;
  spec.pitch.fmax = 600;
  const ser::dsp::FeatureExtractor extract(spec);
  const auto& y = sentence_16k();
  for (auto _ : state) benchmark::DoNotOptimize(extract(y, 16000));
  state.counters["clip_seconds"] = static_cast<double>(y.size()) / 16000;
}
BENCHMARK_CAPTURE(pitch_feature, yin_sentence_16k, ser::dsp::FeatureKind::yin)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(pitch_feature, pyin_sentence_16k, ser::dsp::FeatureKind::pyin)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(pitch_feature, voice_sentence_16k, ser::dsp::FeatureKind::voice)->Unit(benchmark::kMillisecond);
}  // namespace

