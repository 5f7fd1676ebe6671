#include "datasets/wave_augment.hpp"

#include <cmath>

#include "datasets/image_augment.hpp"
#include "dsp/augment.hpp"
#include "dsp/resample.hpp"

namespace ser::datasets {

void WaveAugment::register_settings(Settings& s) {
  s.number("speed", speed, 0, 0.5, "speed perturbation: each row plays at 1 - speed, 1 or 1 + speed times its speed, "
                                    "tempo and pitch together (0.1 as Ko et al. 2015)");
  s.number("gain_db", gain_db, 0, 40, "gain drawn uniformly from [-gain_db, gain_db]").unit("dB");
  s.number("noise_probability", noise_probability, 0, 1, "share of rows given white noise each epoch");
  s.number("snr_min", snr_min, -20, 100, "lowest signal-to-noise ratio of the noise").unit("dB");
  s.number("snr_max", snr_max, -20, 100, "highest signal-to-noise ratio of the noise").unit("dB");
}

void WaveAugment::validate() const {
  if (snr_min > snr_max)
    throw SettingError("snr_min", "snr_min (" + format_number(snr_min) + " dB) must not exceed snr_max (" +
                                      format_number(snr_max) + " dB)");
}

std::vector<float> WaveAugment::apply(std::span<const float> y, int sample_rate, Rng& rng) const {
  const uint64_t which = rng.below(3);  // 0: slower, 1: as recorded, 2: faster
  const double gain = rng.uniform(static_cast<float>(-gain_db), static_cast<float>(gain_db));
  const bool noisy = rng.uniform() < noise_probability;
  const double snr = rng.uniform(static_cast<float>(snr_min), static_cast<float>(snr_max));
  std::vector<float> out(y.begin(), y.end());
  if (speed > 0 && which != 1) {
    // Faster by f: the samples at rate sr are read as if recorded at sr * f,
    // i.e. resampled from sr to sr / f and played at sr.
    const double factor = which == 0 ? 1.0 - speed : 1.0 + speed;
    out = dsp::resample(out, sample_rate, sample_rate / factor);
  }
  if (gain_db > 0) {
    const auto g = static_cast<float>(std::pow(10.0, gain / 20.0));
    for (float& v : out) v *= g;
  }
  if (noisy) out = dsp::add_noise_at_snr(out, snr, rng);
  return out;
}

Rng wave_augment_rng(uint64_t seed, int epoch, uint64_t row) {
  return image_augment_rng(seed ^ 0x2545f4914f6cdd1dULL, epoch, row);
}

}  // namespace ser::datasets
