#pragma once
// Band-limited resampling with libsoxr, as librosa.resample with its default
// res_type 'soxr_hq': the output has ceil(n * target / source) samples
// (librosa's fix_length), delay-compensated.

#include <span>
#include <string>
#include <vector>

namespace ser::dsp {

enum class ResampleQuality { quick, low, medium, high, very_high };  // soxr's QQ, LQ, MQ, HQ, VHQ

ResampleQuality parse_resample_quality(const std::string& name);  // "qq", "lq", "mq", "hq", "vhq"

std::vector<float> resample(std::span<const float> y, double source_rate, double target_rate,
                            ResampleQuality quality = ResampleQuality::high);

}  // namespace ser::dsp
