#pragma once
// LayerSpec: what a layer is, as text: a type and named arguments. Code, the
// YAML configs and model files all describe layers this way, so a model file
// can rebuild exactly the model that wrote it.

#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace ser::nn {

// A bad layer description. The message names the layer and the argument.
// A model that cannot be built. index() is the layer at fault (-1: the model
// as a whole), so a config can point at the layer's line without reading
// the message back; what() is "layer 3 (conv1d): <reason>".
class LayerError : public std::invalid_argument {
 public:
  explicit LayerError(const std::string& reason) : std::invalid_argument(reason), reason_(reason) {}
  LayerError(int index, std::string type, const std::string& reason)
      : std::invalid_argument("layer " + (index >= 0 ? std::to_string(index) + " (" + type + ")" : type) + ": " +
                              reason),
        index_(index),
        type_(std::move(type)),
        reason_(reason) {}
  int index() const { return index_; }
  const std::string& type() const { return type_; }
  const std::string& reason() const { return reason_; }

 private:
  int index_ = -1;
  std::string type_, reason_;
};

class LayerSpec {
 public:
  LayerSpec() = default;
  LayerSpec(std::string type, std::initializer_list<std::pair<std::string, std::string>> args = {});

  const std::string& type() const { return type_; }
  const std::vector<std::pair<std::string, std::string>>& args() const { return args_; }
  // Where this layer stands in its model, for error messages (LayerError::index).
  void set_position(int index) { position_ = index; }
  int position() const { return position_; }

  LayerSpec& set(const std::string& key, const std::string& value);
  bool has(const std::string& key) const;

  // Typed getters; without a default the argument is required. Each throws
  // LayerError naming the layer, the argument and the value.
  std::string text(const std::string& key) const;
  std::string text(const std::string& key, const std::string& fallback) const;
  int64_t integer(const std::string& key) const;
  int64_t integer(const std::string& key, int64_t fallback) const;
  double number(const std::string& key, double fallback) const;
  bool flag(const std::string& key, bool fallback) const;
  // "3", "3x3" or "3,3" -> {3, 3}; "3x5" -> {3, 5} (height, width).
  std::pair<int64_t, int64_t> pair(const std::string& key) const;
  std::pair<int64_t, int64_t> pair(const std::string& key, std::pair<int64_t, int64_t> fallback) const;

  // Throws on an argument not in `known`, suggesting the closest known name.
  // `name` is known to every layer: Sequential names the layer's output by
  // it, for an `add` layer further on to refer to.
  void check_known(std::initializer_list<const char*> known) const;

  // "conv1d(filters=8, kernel=13)"
  std::string describe() const;

  [[noreturn]] void fail(const std::string& what) const;

 private:
  const std::string* find(const std::string& key) const;
  std::string type_;
  std::vector<std::pair<std::string, std::string>> args_;
  int position_ = -1;
};

}  // namespace ser::nn
