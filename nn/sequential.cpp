#include "nn/sequential.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <sstream>

#include "nn/layers/conv.hpp"
#include "nn/layers/pool.hpp"
#include "nn/layers/simple.hpp"
#include "nn/ops.hpp"

namespace ser::nn {

StateBudget default_state_budget() {
  return {kMaxModelValues, "the " + with_thousands(kMaxModelValues) +
                               " parameter and buffer values a ser model may hold (1 GiB of float32)"};
}

namespace {
std::string too_large(const Shape& shape) {
  return shape.str() + " holds " + with_thousands(shape.numel()) + " values per sample, more than the " +
         with_thousands(kMaxSampleValues) + " ser allows";
}
}  // namespace

Sequential::Sequential(const std::vector<LayerSpec>& specs, const Shape& input_shape, Rng& rng, std::string name,
                       StateBudget budget)
    : name_(std::move(name)), input_shape_(input_shape) {
  if (specs.empty()) throw LayerError("model '" + name_ + "' has no layers");
  if (input_shape.numel() > kMaxSampleValues) throw LayerError("model '" + name_ + "': the input " + too_large(input_shape));
  std::map<std::string, int> counts;
  Shape shape = input_shape;
  for (size_t i = 0; i < specs.size(); ++i) {
    LayerSpec spec = specs[i];
    spec.set_position(static_cast<int>(i));
    layers_.push_back(make_layer(spec));
    Layer& layer = *layers_.back();
    layer.set_budget(&budget);
    try {
      shape = layer.setup(shape, rng);
    } catch (const LayerError&) {
      throw;
    } catch (const std::invalid_argument& e) {  // a shape no tensor can have
      spec.fail(e.what());
    }
    layer.set_budget(nullptr);
    if (shape.numel() > kMaxSampleValues) spec.fail("the output " + too_large(shape));
    const std::string auto_name = spec.type() + "_" + std::to_string(++counts[spec.type()]);
    const std::string given = spec.text("name", "");
    if (given == "input" || std::find(names_.begin(), names_.end(), given) != names_.end())
      spec.fail("name '" + given + "' is taken (" + (given == "input" ? "it means the model's input" : "by an earlier layer") +
                "); give each layer its own");
    connect(i, spec, i ? shapes_.back() : input_shape);
    shapes_.push_back(shape);
    names_.push_back(given.empty() ? auto_name : given);
  }
}

void Sequential::connect(size_t i, const LayerSpec& spec, const Shape& input) {
  skip_from_.push_back(kNoSkip);
  kept_.push_back(false);
  const auto* add = dynamic_cast<const Add*>(layers_[i].get());
  if (!add) return;
  int from = -1;
  if (add->from() != "input") {
    const auto it = std::find(names_.begin(), names_.end(), add->from());
    if (it == names_.end()) spec.fail("from: no earlier layer is named '" + add->from() + "' (nor is it 'input')");
    from = static_cast<int>(it - names_.begin());
  }
  const Shape& skip = from < 0 ? input_shape_ : shapes_[static_cast<size_t>(from)];
  if (!(skip == input))
    spec.fail("'" + add->from() + "' gives " + skip.str() + " but this layer's input is " + input.str() +
              "; a residual connection adds equal shapes");
  skip_from_.back() = from;
  if (from >= 0) kept_[static_cast<size_t>(from)] = true;
}

Tensor Sequential::forward(const Tensor& x, ForwardContext& ctx) {
  if (!(x.shape().drop_front() == input_shape_))
    throw std::invalid_argument("model '" + name_ + "' expects input [batch, " + input_shape_.str().substr(1) +
                                ", got " + x.shape().str());
  Tensor h = x;
  std::vector<Tensor> kept(layers_.size());  // outputs an add layer further on takes
  for (size_t i = 0; i < layers_.size(); ++i) {
    if (skip_from_[i] != kNoSkip) {
      const Tensor& skip = skip_from_[i] < 0 ? x : kept[static_cast<size_t>(skip_from_[i])];
      h = static_cast<const Add&>(*layers_[i]).forward_with(h, skip);
      if (kept_[i]) kept[i] = h;
      continue;
    }
    if (ctx.fuse && i + 1 < layers_.size() && !kept_[i]) {
      auto* conv = dynamic_cast<Conv*>(layers_[i].get());
      auto* pool = dynamic_cast<const Pool*>(layers_[i + 1].get());
      if (conv && pool && conv->fuses_with(*pool)) {
        h = conv->forward_pooled(h, *pool, ctx);
        ++i;
        if (kept_[i]) kept[i] = h;
        continue;
      }
    }
    h = layers_[i]->forward(h, ctx);
    if (kept_[i]) kept[i] = h;
  }
  return h;
}

Tensor Sequential::predict(const Tensor& x, int threads) {
  ForwardContext ctx;
  ctx.threads = threads;
  ctx.training = false;
  ctx.record = false;
  return forward(x.detach(), ctx);
}

Tensor Sequential::regularization(const ForwardContext& ctx) {
  Tensor total;
  for (auto& layer : layers_) {
    Tensor r = layer->regularization(ctx);
    if (r.defined()) total = total.defined() ? add(total, r) : r;
  }
  return total;
}

std::vector<NamedTensor> Sequential::parameters() {
  std::vector<NamedTensor> out;
  for (size_t i = 0; i < layers_.size(); ++i)
    for (auto& p : layers_[i]->parameters()) out.push_back({names_[i] + "." + p.name, p.tensor});
  return out;
}

std::vector<Tensor> Sequential::parameter_tensors() {
  std::vector<Tensor> out;
  for (auto& p : parameters()) out.push_back(p.tensor);
  return out;
}

std::vector<NamedTensor> Sequential::state() {
  std::vector<NamedTensor> out;
  for (size_t i = 0; i < layers_.size(); ++i) {
    for (auto& p : layers_[i]->parameters()) out.push_back({names_[i] + "." + p.name, p.tensor});
    for (auto& b : layers_[i]->buffers()) out.push_back({names_[i] + "." + b.name, b.tensor});
  }
  return out;
}

int64_t Sequential::trainable_count() {
  int64_t n = 0;
  for (auto& p : parameters()) n += p.tensor.numel();
  return n;
}

int64_t Sequential::non_trainable_count() {
  int64_t n = 0;
  for (auto& layer : layers_)
    for (auto& b : layer->buffers()) n += b.tensor.numel();
  return n;
}

std::vector<LayerSpec> Sequential::specs() const {
  std::vector<LayerSpec> out;
  for (const auto& layer : layers_) out.push_back(layer->spec());
  return out;
}

std::string with_thousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string Sequential::summary() {
  auto shape_text = [](const Shape& s) {
    std::string t = "(None";
    for (int64_t d : s.dims()) t += ", " + std::to_string(d);
    return t + ")";
  };
  std::vector<std::array<std::string, 3>> rows;
  size_t w0 = 12, w1 = 12, w2 = 7;
  for (size_t i = 0; i < layers_.size(); ++i) {
    int64_t count = 0;
    for (auto& p : layers_[i]->parameters()) count += p.tensor.numel();
    for (auto& b : layers_[i]->buffers()) count += b.tensor.numel();
    const std::string skip = skip_from_[i] == kNoSkip ? ""
                             : " + " + (skip_from_[i] < 0 ? std::string("input") : names_[static_cast<size_t>(skip_from_[i])]);
    rows.push_back({names_[i] + " (" + layers_[i]->kind() + skip + ")", shape_text(shapes_[i]), with_thousands(count)});
    w0 = std::max(w0, rows.back()[0].size());
    w1 = std::max(w1, rows.back()[1].size());
    w2 = std::max(w2, rows.back()[2].size());
  }
  const size_t width = w0 + w1 + w2 + 6;
  std::ostringstream out;
  auto pad = [](std::string s, size_t w) { return s + std::string(w > s.size() ? w - s.size() : 0, ' '); };
  out << "Model: \"" << name_ << "\"    input " << shape_text(input_shape_) << "\n";
  out << std::string(width, '_') << "\n";
  out << pad("Layer (type)", w0 + 3) << pad("Output Shape", w1 + 3) << "Param #\n";
  out << std::string(width, '=') << "\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    out << pad(rows[i][0], w0 + 3) << pad(rows[i][1], w1 + 3) << rows[i][2] << "\n";
    out << std::string(width, i + 1 == rows.size() ? '=' : '_') << "\n";
  }
  const int64_t trainable = trainable_count(), frozen = non_trainable_count();
  out << "Total params: " << with_thousands(trainable + frozen) << "\n";
  out << "Trainable params: " << with_thousands(trainable) << "\n";
  out << "Non-trainable params: " << with_thousands(frozen) << "\n";
  return out.str();
}

int64_t Sequential::forward_macs() const {
  int64_t total = 0;
  for (size_t i = 0; i < layers_.size(); ++i)
    total += layers_[i]->macs(i == 0 ? input_shape_ : shapes_[i - 1], shapes_[i]).forward;
  return total;
}

int64_t Sequential::training_macs() const {
  int64_t total = 0;
  bool input_gradient = false;  // nothing before the first layer with products needs a gradient
  for (size_t i = 0; i < layers_.size(); ++i) {
    const LayerMacs m = layers_[i]->macs(i == 0 ? input_shape_ : shapes_[i - 1], shapes_[i]);
    total += m.forward + m.backward + (input_gradient ? m.backward_input : 0);
    input_gradient = input_gradient || m.forward > 0;
  }
  return total;
}

}  // namespace ser::nn
