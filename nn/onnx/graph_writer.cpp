#include "nn/onnx/graph_writer.hpp"

#include <onnx/onnx_pb.h>

#include <cstring>

namespace ser::nn::onnx_io {

std::string GraphWriter::unique(const std::string& hint) {
  const std::string base = hint.empty() ? "value" : hint;
  std::string name = base;
  for (int k = 1; taken_.count(name); ++k) name = base + "_" + std::to_string(k);
  taken_.insert(name);
  return name;
}

namespace {

// Raw little-endian bytes, as ONNX stores tensors (x86-64 is little-endian).
template <class T>
std::string raw_bytes(std::span<const T> values) {
  std::string bytes(values.size_bytes(), '\0');
  if (!values.empty()) std::memcpy(bytes.data(), values.data(), values.size_bytes());
  return bytes;
}

}  // namespace

std::string GraphWriter::weights(const std::string& hint, std::span<const float> values,
                                 const std::vector<int64_t>& dims) {
  onnx::TensorProto& t = *graph_.add_initializer();
  t.set_name(unique(hint));
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t.add_dims(d);
  t.set_raw_data(raw_bytes(values));
  return t.name();
}

std::string GraphWriter::integers(const std::string& hint, const std::vector<int64_t>& values) {
  onnx::TensorProto& t = *graph_.add_initializer();
  t.set_name(unique(hint));
  t.set_data_type(onnx::TensorProto::INT64);
  t.add_dims(static_cast<int64_t>(values.size()));
  t.set_raw_data(raw_bytes(std::span<const int64_t>(values)));
  return t.name();
}

namespace {

void set_attribute(onnx::AttributeProto& a, const Attribute& given) {
  a.set_name(given.name);
  if (const auto* i = std::get_if<int64_t>(&given.value)) {
    a.set_type(onnx::AttributeProto::INT);
    a.set_i(*i);
  } else if (const auto* f = std::get_if<float>(&given.value)) {
    a.set_type(onnx::AttributeProto::FLOAT);
    a.set_f(*f);
  } else if (const auto* list = std::get_if<std::vector<int64_t>>(&given.value)) {
    a.set_type(onnx::AttributeProto::INTS);
    for (int64_t v : *list) a.add_ints(v);
  } else {
    a.set_type(onnx::AttributeProto::STRING);
    a.set_s(std::get<std::string>(given.value));
  }
}

}  // namespace

std::vector<std::string> GraphWriter::node(const std::string& op, const std::vector<std::string>& inputs,
                                           std::initializer_list<Attribute> attributes, const std::string& hint,
                                           int outputs) {
  onnx::NodeProto& n = *graph_.add_node();
  n.set_op_type(op);
  for (const auto& in : inputs) n.add_input(in);
  std::vector<std::string> names;
  const std::string first = unique(hint.empty() ? op : hint);
  for (int k = 0; k < outputs; ++k) names.push_back(k == 0 ? first : unique(first + "_" + std::to_string(k)));
  for (const auto& out : names) n.add_output(out);
  n.set_name(first);
  for (const auto& a : attributes) set_attribute(*n.add_attribute(), a);
  return names;
}

std::string GraphWriter::op(const std::string& op, const std::vector<std::string>& inputs,
                            std::initializer_list<Attribute> attributes, const std::string& hint) {
  return node(op, inputs, attributes, hint, 1).front();
}

void GraphWriter::identity(const std::string& x, const std::string& name) {
  onnx::NodeProto& n = *graph_.add_node();
  n.set_op_type("Identity");
  n.set_name(name);
  n.add_input(x);
  n.add_output(name);
}

}  // namespace ser::nn::onnx_io
