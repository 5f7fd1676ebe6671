#include "dsp/resample.hpp"

#include <soxr.h>

#include <cmath>
#include <algorithm>
#include <iterator>
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

namespace {
soxr_quality_spec_t quality_spec(ResampleQuality quality) {
  static constexpr unsigned long kRecipes[] = {SOXR_QQ, SOXR_LQ, SOXR_MQ, SOXR_HQ, SOXR_VHQ};
  return soxr_quality_spec(kRecipes[static_cast<int>(quality)], 0);
}
}  // namespace

std::vector<float> resample(std::span<const float> y, double source_rate, double target_rate, ResampleQuality quality) {
  if (!(source_rate > 0) || !(target_rate > 0)) throw std::invalid_argument("resample: rates must be > 0");
  const size_t n_out = static_cast<size_t>(std::ceil(static_cast<double>(y.size()) * target_rate / source_rate));
  if (source_rate == target_rate) return {y.begin(), y.end()};
  const soxr_quality_spec_t q = quality_spec(quality);
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

struct StreamResampler::Soxr {
  soxr_t handle = nullptr;
  ~Soxr() { soxr_delete(handle); }
};

StreamResampler::StreamResampler(double source_rate, double target_rate, ResampleQuality quality)
    : soxr_(std::make_unique<Soxr>()), source_(source_rate), target_(target_rate), same_rate_(source_rate == target_rate) {
  if (!(source_rate > 0) || !(target_rate > 0)) throw std::invalid_argument("resample: rates must be > 0");
  if (same_rate_) return;
  const soxr_quality_spec_t q = quality_spec(quality);
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  soxr_error_t err = nullptr;
  soxr_->handle = soxr_create(source_rate, target_rate, 1, &err, &io, &q, nullptr);
  if (err) throw std::runtime_error(std::string("soxr failed: ") + err);
}

StreamResampler::~StreamResampler() = default;

// Feeds `n` samples (null: the end) and collects everything soxr has ready.
void StreamResampler::drain(const float* in, size_t n, std::vector<float>& out) {
  float block[4096];
  size_t used = 0;
  do {
    size_t consumed = 0, made = 0;
    const soxr_error_t err = soxr_process(soxr_->handle, in ? in + used : nullptr, in ? n - used : 0, &consumed, block,
                                          std::size(block), &made);
    if (err) throw std::runtime_error(std::string("soxr failed: ") + err);
    used += consumed;
    out.insert(out.end(), block, block + made);
    out_ += static_cast<int64_t>(made);
    if (made == 0 && (in == nullptr || used == n)) break;
  } while (true);
}

void StreamResampler::push(std::span<const float> in, std::vector<float>& out) {
  in_ += static_cast<int64_t>(in.size());
  if (same_rate_) {
    out.insert(out.end(), in.begin(), in.end());
    out_ += static_cast<int64_t>(in.size());
    return;
  }
  if (!in.empty()) drain(in.data(), in.size(), out);
}

void StreamResampler::finish(std::vector<float>& out) {
  if (same_rate_) return;
  const size_t start = out.size();
  drain(nullptr, 0, out);
  // resample()'s fix_length: ceil(n * target / source) samples in all (soxr's
  // tail may hold a few more, or fewer).
  const auto want = static_cast<int64_t>(std::ceil(static_cast<double>(in_) * target_ / source_));
  if (out_ > want) out.resize(out.size() - std::min(static_cast<size_t>(out_ - want), out.size() - start));
  if (out_ < want) out.resize(out.size() + static_cast<size_t>(want - out_), 0.0f);
  out_ = want;
}

}  // namespace ser::dsp
