#include "nn/layers/pool.hpp"

namespace ser::nn {

Pool::Pool(LayerSpec spec, bool max, int dims) : Layer(std::move(spec)), max_(max), dims_(dims) {
  spec_.check_known({"pool", "stride", "padding"});
  std::pair<int64_t, int64_t> pool, stride;
  if (dims_ == 1) {
    pool = {1, spec_.integer("pool", 2)};
    stride = {1, spec_.integer("stride", pool.second)};
  } else {
    pool = spec_.pair("pool", {2, 2});
    stride = spec_.pair("stride", pool);
  }
  if (pool.first < 1 || pool.second < 1 || stride.first < 1 || stride.second < 1)
    spec_.fail("pool and stride must be >= 1");
  try {
    options_ = {pool.first, pool.second, stride.first, stride.second, parse_padding(spec_.text("padding", "valid"))};
  } catch (const std::invalid_argument& e) {
    spec_.fail(e.what());
  }
}

std::string Pool::kind() const { return std::string(max_ ? "MaxPool" : "AvgPool") + (dims_ == 1 ? "1D" : "2D"); }

Shape Pool::setup(const Shape& input, Rng&) {
  if (input.rank() != dims_ + 1)
    spec_.fail("expects input " + std::string(dims_ == 1 ? "[channels, length]" : "[channels, height, width]") +
               ", got " + input.str());
  try {
    const Extent ew = window_extent(input.back(), options_.pool_w, options_.stride_w, 1, options_.padding);
    if (dims_ == 1) return Shape{input[0], ew.out};
    const Extent eh = window_extent(input[1], options_.pool_h, options_.stride_h, 1, options_.padding);
    return Shape{input[0], eh.out, ew.out};
  } catch (const std::invalid_argument& e) {
    spec_.fail("input " + input.str() + " is too small for the pool: " + e.what());
  }
}

Tensor Pool::forward(const Tensor& x, ForwardContext& ctx) {
  if (dims_ == 1) return max_ ? max_pool1d(x, options_, ctx.threads) : avg_pool1d(x, options_);
  return max_ ? max_pool2d(x, options_, ctx.threads) : avg_pool2d(x, options_);
}

}  // namespace ser::nn
