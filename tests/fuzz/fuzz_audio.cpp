// The audio loader on arbitrary bytes: any container libsndfile reads, damaged
// headers, cut files. It must refuse with an AudioError or give finite
// samples at a sane rate; a few frames of features must then compute.
#include <cmath>
#include <cstdlib>

#include "dsp/audio.hpp"
#include "dsp/feature_spec.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ser::fuzz::MemFile file(data, size);
  ser::dsp::Audio a;
  try {
    (void)ser::dsp::probe_audio(file.path());
    a = ser::dsp::load_audio(file.path());
  } catch (const ser::dsp::AudioError&) {
    return 0;  // refused with a message: what bad input should get
  }
  if (a.samples.empty() || a.sample_rate < ser::dsp::kMinSampleRate || a.sample_rate > ser::dsp::kMaxSampleRate)
    std::abort();
  for (float v : a.samples)
    if (!std::isfinite(v)) std::abort();
  if (a.samples.size() > 200000) return 0;  // keep each run short
  ser::dsp::FeatureSpec spec;
  spec.cepstrum.n_mfcc = 13;
  spec.mel.n_mels = 40;
  spec.stft.n_fft = 512;
  try {
    const ser::dsp::Matrix m = ser::dsp::FeatureExtractor(spec)(a.samples, a.sample_rate);
    for (double v : m.data)
      if (!std::isfinite(v)) std::abort();
  } catch (const std::invalid_argument&) {
    // e.g. fmax above Nyquist for very low rates: refused, not crashed
  }
  return 0;
}
