#include <functional>
#include <map>

#include "common/text.hpp"
#include "nn/layers/batchnorm.hpp"
#include "nn/layers/conv.hpp"
#include "nn/layers/dense.hpp"
#include "nn/layers/layer.hpp"
#include "nn/layers/gru.hpp"
#include "nn/layers/knn.hpp"
#include "nn/layers/lstm.hpp"
#include "nn/layers/pool.hpp"
#include "nn/layers/sequence_pool.hpp"
#include "nn/layers/simple.hpp"

namespace ser::nn {

namespace {
using Factory = std::function<std::unique_ptr<Layer>(const LayerSpec&)>;
const std::map<std::string, Factory>& registry() {
  static const std::map<std::string, Factory> r = {
      {"dense", [](const LayerSpec& s) { return std::make_unique<Dense>(s); }},
      {"conv1d", [](const LayerSpec& s) { return std::make_unique<Conv>(s, 1); }},
      {"conv2d", [](const LayerSpec& s) { return std::make_unique<Conv>(s, 2); }},
      {"maxpool1d", [](const LayerSpec& s) { return std::make_unique<Pool>(s, true, 1); }},
      {"maxpool2d", [](const LayerSpec& s) { return std::make_unique<Pool>(s, true, 2); }},
      {"avgpool1d", [](const LayerSpec& s) { return std::make_unique<Pool>(s, false, 1); }},
      {"avgpool2d", [](const LayerSpec& s) { return std::make_unique<Pool>(s, false, 2); }},
      {"dropout", [](const LayerSpec& s) { return std::make_unique<Dropout>(s); }},
      {"add", [](const LayerSpec& s) { return std::make_unique<Add>(s); }},
      {"flatten", [](const LayerSpec& s) { return std::make_unique<Reshape>(s, true); }},
      {"reshape", [](const LayerSpec& s) { return std::make_unique<Reshape>(s, false); }},
      {"batchnorm", [](const LayerSpec& s) { return std::make_unique<BatchNorm>(s); }},
      {"lstm", [](const LayerSpec& s) { return std::make_unique<Lstm>(s); }},
      {"gru", [](const LayerSpec& s) { return std::make_unique<Gru>(s); }},
      {"knn", [](const LayerSpec& s) { return std::make_unique<Knn>(s); }},
      {"stats_pool", [](const LayerSpec& s) { return std::make_unique<StatsPool>(s); }},
      {"attention_pool", [](const LayerSpec& s) { return std::make_unique<AttentionPool>(s); }},
      {"global_avg_pool", [](const LayerSpec& s) { return std::make_unique<GlobalAvgPool>(s); }},
      {"to_sequence", [](const LayerSpec& s) { return std::make_unique<ToSequence>(s); }},
      {"relu", [](const LayerSpec& s) { return std::make_unique<ActivationLayer>(s, Activation::relu); }},
      {"tanh", [](const LayerSpec& s) { return std::make_unique<ActivationLayer>(s, Activation::tanh); }},
      {"sigmoid", [](const LayerSpec& s) { return std::make_unique<ActivationLayer>(s, Activation::sigmoid); }},
      {"softmax", [](const LayerSpec& s) { return std::make_unique<ActivationLayer>(s, Activation::softmax); }},
  };
  return r;
}
}  // namespace

std::unique_ptr<Layer> make_layer(const LayerSpec& spec) {
  const auto& r = registry();
  if (auto it = r.find(spec.type()); it != r.end()) return it->second(spec);
  std::string known;
  for (const auto& [name, f] : r) known += " " + name;
  spec.fail("unknown layer type '" + spec.type() + "'" + did_you_mean(spec.type(), layer_types()) + "; known:" + known);
}

std::vector<std::string> layer_types() {
  std::vector<std::string> out;
  for (const auto& [name, f] : registry()) out.push_back(name);
  return out;
}

}  // namespace ser::nn
