#pragma once
// Building an ONNX graph node by node: weights and constants become
// initializers, every value gets a unique name, and attributes are written
// with their ONNX types. The only file besides graph_writer.cpp that sees
// the protobuf classes is the exporter, which owns the ModelProto.

#include <cstdint>
#include <initializer_list>
#include <set>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace onnx {
class GraphProto;
}

namespace ser::nn::onnx_io {

// One attribute: an integer, a float, a list of integers or a string.
struct Attribute {
  std::string name;
  std::variant<int64_t, float, std::vector<int64_t>, std::string> value;
};

class GraphWriter {
 public:
  explicit GraphWriter(onnx::GraphProto& graph) : graph_(graph) {}

  // A float32 initializer of `dims` holding `values`; returns its name (`hint`, made unique).
  std::string weights(const std::string& hint, std::span<const float> values, const std::vector<int64_t>& dims);
  // A 1-D int64 initializer (shapes, axes, permutations).
  std::string integers(const std::string& hint, const std::vector<int64_t>& values);
  // A node of `op` on `inputs` ("" for an optional input left out); returns
  // the names of its `outputs` outputs, the first named `hint` (made unique).
  std::vector<std::string> node(const std::string& op, const std::vector<std::string>& inputs,
                                std::initializer_list<Attribute> attributes, const std::string& hint, int outputs);
  // The same for a node with one output.
  std::string op(const std::string& op, const std::vector<std::string>& inputs,
                 std::initializer_list<Attribute> attributes = {}, const std::string& hint = "");
  // Keeps `name` for the graph's own input or output: no value made later takes it.
  void reserve(const std::string& name) { taken_.insert(name); }
  // An Identity node whose output is exactly `name` (reserved before).
  void identity(const std::string& x, const std::string& name);

 private:
  std::string unique(const std::string& hint);
  onnx::GraphProto& graph_;
  std::set<std::string> taken_;
};

}  // namespace ser::nn::onnx_io
