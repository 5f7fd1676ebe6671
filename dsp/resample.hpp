#pragma once
// Band-limited resampling with libsoxr, as librosa.resample with its default
// res_type 'soxr_hq': the output has ceil(n * target / source) samples
// (librosa's fix_length), delay-compensated.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace ser::dsp {

enum class ResampleQuality { quick, low, medium, high, very_high };  // soxr's QQ, LQ, MQ, HQ, VHQ

ResampleQuality parse_resample_quality(const std::string& name);  // "qq", "lq", "mq", "hq", "vhq"

std::vector<float> resample(std::span<const float> y, double source_rate, double target_rate,
                            ResampleQuality quality = ResampleQuality::high);

// The same in a stream (soxr's streaming API): the input in pieces of any
// size, the output as it is ready; after finish() the whole output is
// resample()'s, bit for bit. A live source and a file resampled at once
// give the same samples.
class StreamResampler {
 public:
  StreamResampler(double source_rate, double target_rate, ResampleQuality quality = ResampleQuality::high);
  ~StreamResampler();
  StreamResampler(const StreamResampler&) = delete;
  StreamResampler& operator=(const StreamResampler&) = delete;
  // Appends to `out` what the input completes.
  void push(std::span<const float> in, std::vector<float>& out);
  // Appends the rest: soxr's tail, then resample()'s fix_length.
  void finish(std::vector<float>& out);

 private:
  void drain(const float* in, size_t n, std::vector<float>& out);
  struct Soxr;
  std::unique_ptr<Soxr> soxr_;
  double source_, target_;
  bool same_rate_;
  int64_t in_ = 0, out_ = 0;
};

}  // namespace ser::dsp
