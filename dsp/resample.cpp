#include "dsp/resample.hpp"

#include <soxr.h>

#include <cmath>
#include <stdexcept>

namespace ser::dsp {

ResampleQuality parse_resample_quality(const std::string& name) {
  if (name == "qq") return ResampleQuality::quick;
  if (name == "lq") return ResampleQuality::low;
  if (name == "mq") return ResampleQuality::medium;
  if (name == "hq") return ResampleQuality::high;
  if (name == "vhq") return ResampleQuality::very_high;
  throw std::invalid_argument("unknown resampling quality '" + name + "' (qq, lq, mq, hq, vhq)");
}

std::vector<float> resample(std::span<const float> y, double source_rate, double target_rate, ResampleQuality quality) {
  if (!(source_rate > 0) || !(target_rate > 0)) throw std::invalid_argument("resample: rates must be > 0");
  const size_t n_out = static_cast<size_t>(std::ceil(static_cast<double>(y.size()) * target_rate / source_rate));
  if (source_rate == target_rate) return {y.begin(), y.end()};
  static constexpr unsigned long kRecipes[] = {SOXR_QQ, SOXR_LQ, SOXR_MQ, SOXR_HQ, SOXR_VHQ};
  const soxr_quality_spec_t q = soxr_quality_spec(kRecipes[static_cast<int>(quality)], 0);
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  std::vector<float> out(n_out + 16);  // soxr may produce a few samples more; fix_length trims
  size_t done = 0;
  const soxr_error_t err = soxr_oneshot(source_rate, target_rate, 1, y.data(), y.size(), nullptr, out.data(),
                                        out.size(), &done, &io, &q, nullptr);
  if (err) throw std::runtime_error(std::string("soxr failed: ") + err);
  out.resize(done);
  out.resize(n_out, 0.0f);  // librosa's fix_length: pad with zeros or trim
  return out;
}

}  // namespace ser::dsp
