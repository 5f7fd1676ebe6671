#include "nn/onnx/onnx_import.hpp"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <set>

#include "nn/kernels/geometry.hpp"
#include "nn/layers/layer.hpp"
#include "nn/sequential.hpp"

namespace ser::nn {
namespace {

using Ints = std::vector<int64_t>;
using Weights = std::map<std::string, std::vector<float>>;

// A tensor known when the file is read: an initializer or a Constant node.
struct Const {
  bool is_float = false;
  Ints dims;
  std::vector<float> floats;  // FLOAT tensors
  Ints ints;                  // INT64 and INT32 tensors
};

// How an ONNX value of the data path stands to the output of a ser layer.
// Most are that output itself (plain). Recurrent layers and the transposes
// around them pass through other layouts before they come back to ser's.
enum class View {
  plain,        // the layer's output, batch first
  time_major,   // a plain sequence [N, T, F] as [T, N, F]
  width_first,  // a plain map [N, C, H, W] as [N, W, C, H] (on the way to to_sequence)
  gap,          // global_avg_pool's [N, C] as GlobalAveragePool's [N, C, 1, ...]
  rnn_y,        // a recurrent layer's Y [T, D, N, H]
  rnn_y_tndh,   // ... as [T, N, D, H]
  rnn_y_ntdh,   // ... as [N, T, D, H]
  rnn_y_tnf,    // ... as [T, N, D*H]
  rnn_h,        // a recurrent layer's Y_h [D, N, H]
  rnn_h_ndh,    // ... as [N, D, H]
  unusable,     // an LSTM's Y_c: ser keeps no cell state
};

struct Data {
  int layer;  // -1: the model's input
  View view;
};

Const read_tensor(const onnx::TensorProto& t, const std::string& where) {
  Const c;
  c.dims.assign(t.dims().begin(), t.dims().end());
  int64_t n = 1;
  for (int64_t d : c.dims) {
    if (d < 0 || (d > 0 && n > kMaxModelValues / d))
      throw OnnxImportError(where + ": tensor '" + t.name() + "' has dims that are negative or larger than ser holds");
    n *= d;
  }
  const std::string& raw = t.raw_data();
  auto from_raw = [&](auto* out, size_t size) {
    if (raw.size() != size * static_cast<size_t>(n))
      throw OnnxImportError(where + ": tensor '" + t.name() + "' holds " + std::to_string(raw.size()) + " bytes for " +
                            std::to_string(n) + " values");
    if (!raw.empty()) std::memcpy(out, raw.data(), raw.size());  // an empty vector's data() may be null
  };
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      c.is_float = true;
      c.floats.resize(static_cast<size_t>(n));
      if (!raw.empty() || n == 0)
        from_raw(c.floats.data(), 4);
      else
        c.floats.assign(t.float_data().begin(), t.float_data().end());
      if (static_cast<int64_t>(c.floats.size()) != n)
        throw OnnxImportError(where + ": tensor '" + t.name() + "' is short");
      return c;
    case onnx::TensorProto::INT64:
      c.ints.resize(static_cast<size_t>(n));
      if (!raw.empty() || n == 0)
        from_raw(c.ints.data(), 8);
      else
        c.ints.assign(t.int64_data().begin(), t.int64_data().end());
      return c;
    case onnx::TensorProto::INT32: {
      std::vector<int32_t> v(static_cast<size_t>(n));
      if (!raw.empty() || n == 0)
        from_raw(v.data(), 4);
      else
        v.assign(t.int32_data().begin(), t.int32_data().end());
      c.ints.assign(v.begin(), v.end());
      return c;
    }
    default:
      throw OnnxImportError(where + ": tensor '" + t.name() + "' has data type " + std::to_string(t.data_type()) +
                            "; ser reads float32 weights and int64 shapes");
  }
}

// A node's attributes by name, with defaults.
class Attributes {
 public:
  explicit Attributes(const onnx::NodeProto& n) {
    for (const auto& a : n.attribute()) by_name_[a.name()] = &a;
  }
  bool has(const std::string& name) const { return by_name_.count(name) > 0; }
  int64_t i(const std::string& name, int64_t fallback) const { return has(name) ? by_name_.at(name)->i() : fallback; }
  float f(const std::string& name, float fallback) const { return has(name) ? by_name_.at(name)->f() : fallback; }
  std::string s(const std::string& name, const std::string& fallback) const {
    return has(name) ? by_name_.at(name)->s() : fallback;
  }
  Ints ints(const std::string& name, const Ints& fallback) const {
    if (!has(name)) return fallback;
    const auto& list = by_name_.at(name)->ints();
    return Ints(list.begin(), list.end());
  }

 private:
  std::map<std::string, const onnx::AttributeProto*> by_name_;
};

std::string join(const Ints& v, const char* sep) {
  std::string s;
  for (size_t k = 0; k < v.size(); ++k) s += (k ? sep : "") + std::to_string(v[k]);
  return s;
}

// A matrix [rows, cols] as [cols, rows]: ONNX's x W layout to ser's W x.
std::vector<float> transposed(const Const& m) {
  const int64_t rows = m.dims.at(0), cols = m.dims.at(1);
  std::vector<float> t(m.floats.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      t[static_cast<size_t>(c * rows + r)] = m.floats[static_cast<size_t>(r * cols + c)];
  return t;
}

// Rows of a recurrent weight [gates * H, cols] regated: gate k of the result is gate order[k] of the source.
std::vector<float> regate(const float* w, int64_t H, int64_t cols, const Ints& order) {
  std::vector<float> out;
  for (int64_t gate : order) out.insert(out.end(), w + gate * H * cols, w + (gate + 1) * H * cols);
  return out;
}

class Importer {
 public:
  Importer(const onnx::ModelProto& model, std::string source) : model_(model), source_(std::move(source)) {}
  Sequential run();

 private:
  const onnx::ModelProto& model_;
  std::string source_;
  const onnx::NodeProto* node_ = nullptr;  // the node being read, for messages
  std::map<std::string, Const> consts_;
  std::set<std::string> ignored_;  // shape arithmetic: values computed from shapes and constants only
  std::set<std::string> zeros_;    // ConstantOfShape(0): a recurrent layer's zero initial state
  std::map<std::string, Data> data_;
  std::map<std::string, int> uses_;  // how many nodes read each value
  Shape input_;
  std::vector<LayerSpec> specs_;
  std::vector<Shape> shapes_;  // per-sample output of each layer (a recurrent one's once its form is known)
  std::vector<Weights> weights_;
  std::set<int> recurrent_;  // LSTM and GRU layers; their return_sequences is known once settled_ has them

  [[noreturn]] void fail(const std::string& what) const {
    const std::string name = !node_                   ? ""
                             : !node_->name().empty() ? node_->name()
                             : node_->output_size()   ? node_->output(0)
                                                      : "";
    throw OnnxImportError(source_ + (node_ ? ": node '" + name + "' (" + node_->op_type() + ")" : "") + ": " + what);
  }
  const Const& constant(int input) const;
  const Const& weights(int input) const;  // a float32 constant
  const Data& data(int input) const;
  const Shape& shape_of(const Data& d) const { return d.layer < 0 ? input_ : shapes_[static_cast<size_t>(d.layer)]; }
  int add_layer(LayerSpec spec, Weights w, const Shape& in);
  // Output `output` of the node being read is `d`; with `newest`, the chain has reached it.
  void produce(const Data& d, int output = 0) {
    if (output >= node_->output_size()) fail("output " + std::to_string(output) + " is missing");
    data_[node_->output(output)] = d;
    fresh_.insert(node_->output(output));
  }
  void read_input();
  size_t read_node(size_t k);
  bool read_off_path(const onnx::NodeProto& n);
  void read_layer(const std::string& op);
  size_t stats_pool(size_t k);
  size_t attention_pool(size_t k);
  const onnx::NodeProto* follows(size_t k, size_t offset, const std::string& op,
                                 std::initializer_list<std::string> inputs) const;
  void alias();
  void pad();
  void conv();
  void pool(bool max);
  void gemm();
  void matmul();
  void add();
  void batch_norm();
  void activation(const std::string& kind);
  void flatten();
  void reshape();
  void reshape_plain(const Data& d, const Ints& target);
  Ints resolved_sizes(const Shape& in, const Ints& target) const;
  int64_t recurrent_width(const Data& d) const;
  void transpose();
  void squeeze();
  void gather();
  void recurrent(bool lstm);
  void check_recurrent(const Attributes& a, bool lstm) const;
  void global_avg_pool();
  void settle(int layer, bool sequences);
  void set_window(LayerSpec& spec, const Shape& in, const Ints& kernel, const Ints& strides, const Ints& dilations,
                  bool explicit_allowed) const;
  bool fresh(const std::string& value) const { return fresh_.count(value) > 0; }
  std::string name_layer(int layer);
  Sequential build() const;

  std::set<std::string> fresh_;   // the outputs of the newest data node: what the next layer may read
  std::set<std::string> newest_;  // the same, while the node after it is read
  std::map<int, bool> settled_;   // recurrent layers: return_sequences, once known
};

const Const& Importer::constant(int input) const {
  if (input >= node_->input_size() || node_->input(input).empty())
    fail("input " + std::to_string(input) + " is missing");
  const auto it = consts_.find(node_->input(input));
  if (it == consts_.end())
    fail("input '" + node_->input(input) + "' must be a constant (weights, a shape, an index); here it is computed");
  return it->second;
}

const Const& Importer::weights(int input) const {
  const Const& c = constant(input);
  if (!c.is_float) fail("input '" + node_->input(input) + "' must be float32 weights");
  return c;
}

const Data& Importer::data(int input) const {
  if (input >= node_->input_size()) fail("input " + std::to_string(input) + " is missing");
  const auto it = data_.find(node_->input(input));
  if (it == data_.end()) fail("input '" + node_->input(input) + "' is not on the model's data path");
  return it->second;
}

int Importer::add_layer(LayerSpec spec, Weights w, const Shape& in) {
  Rng rng(0);
  Shape out;
  StateBudget budget{kMaxModelValues, "a model ser builds"};
  try {
    auto layer = make_layer(spec);
    layer->set_budget(&budget);
    out = layer->setup(in, rng);
  } catch (const std::exception& e) {
    fail(std::string("as ser's ") + spec.describe() + ": " + e.what());
  }
  if (out.numel() > kMaxSampleValues) fail("its output " + out.str() + " is larger than ser holds");
  specs_.push_back(std::move(spec));
  weights_.push_back(std::move(w));
  shapes_.push_back(out);
  return static_cast<int>(specs_.size()) - 1;
}

// A layer an Add reads from further on needs a name to be found by.
std::string Importer::name_layer(int layer) {
  if (layer < 0) return "input";
  LayerSpec& spec = specs_[static_cast<size_t>(layer)];
  if (!spec.has("name")) spec.set("name", "block" + std::to_string(layer + 1));
  return spec.text("name");
}

void Importer::read_input() {
  const onnx::GraphProto& g = model_.graph();
  std::vector<const onnx::ValueInfoProto*> inputs;
  for (const auto& v : g.input())
    if (!consts_.count(v.name())) inputs.push_back(&v);
  if (inputs.size() != 1)
    throw OnnxImportError(source_ + ": the graph has " + std::to_string(inputs.size()) +
                          " inputs besides its weights; a ser model has one");
  const auto& type = inputs[0]->type().tensor_type();
  if (type.elem_type() != onnx::TensorProto::FLOAT)
    throw OnnxImportError(source_ + ": input '" + inputs[0]->name() + "' is not float32");
  Ints dims;
  for (int k = 1; k < type.shape().dim_size(); ++k) {
    const auto& d = type.shape().dim(k);
    if (!d.has_dim_value() || d.dim_value() < 1)
      throw OnnxImportError(source_ + ": input '" + inputs[0]->name() + "' axis " + std::to_string(k) +
                            " has no fixed size; ser needs every axis but the batch fixed");
    dims.push_back(d.dim_value());
  }
  if (dims.empty())
    throw OnnxImportError(source_ + ": input '" + inputs[0]->name() + "' has no axis besides the batch");
  input_ = Shape(std::span<const int64_t>(dims));
  data_[inputs[0]->name()] = {-1, View::plain};
  fresh_ = {inputs[0]->name()};
}

// A Constant, or arithmetic on shapes and constants only (what PyTorch writes
// for a recurrent layer's zero initial state): noted, not a layer. False for
// a node on the data path.
bool Importer::read_off_path(const onnx::NodeProto& n) {
  const std::string& op = n.op_type();
  if (op == "Constant") {
    const Attributes a(n);
    if (n.output_size() != 1) fail("a Constant has one output");
    if (!a.has("value")) fail("only a Constant holding a tensor ('value') is supported");
    for (const auto& attr : n.attribute())
      if (attr.name() == "value") consts_[n.output(0)] = read_tensor(attr.t(), source_ + ": node '" + n.name() + "'");
    return true;
  }
  bool on_path = false;
  for (const auto& in : n.input()) on_path |= data_.count(in) > 0;
  if (on_path && op != "Shape") return false;
  bool zero = op == "ConstantOfShape";  // ConstantOfShape's value defaults to 0
  for (const auto& attr : n.attribute())
    if (zero && attr.name() == "value") {
      const Const c = read_tensor(attr.t(), source_);
      zero = std::all_of(c.floats.begin(), c.floats.end(), [](float v) { return v == 0.0f; }) &&
             std::all_of(c.ints.begin(), c.ints.end(), [](int64_t v) { return v == 0; });
    }
  for (const auto& out : n.output()) (zero ? zeros_ : ignored_).insert(out);
  return true;
}

// Reads node k (and, for ser's sequence poolings, the nodes that make them up); the count of nodes read.
size_t Importer::read_node(size_t k) {
  const onnx::NodeProto& n = model_.graph().node(static_cast<int>(k));
  node_ = &n;
  if (!n.domain().empty() && n.domain() != "ai.onnx")
    fail("operators of domain '" + n.domain() + "' are not supported");
  if (read_off_path(n)) return 1;
  if (n.output_size() == 0 || n.output(0).empty()) fail("has no output");
  const std::string& op = n.op_type();
  const std::string& first = n.input(0);
  const bool reads_newest = fresh(first) || (op == "Add" && n.input_size() > 1 && fresh(n.input(1)));
  if (!reads_newest)
    fail("reads '" + (data_.count(first) ? first : n.input(1)) +
         "', which a later layer has already read: ser models are chains (with residual adds), not branching graphs");
  newest_.swap(fresh_);  // what this node may read as the newest; fresh_ collects its outputs
  fresh_.clear();
  const bool sequence_in =
      data_.count(first) && data_.at(first).view == View::plain && shape_of(data_.at(first)).rank() == 2;
  if (op == "ReduceMean" && sequence_in) return stats_pool(k);
  if (op == "MatMul" && sequence_in) return attention_pool(k);
  read_layer(op);
  return 1;
}

void Importer::read_layer(const std::string& op) {
  if (op == "Identity" || op == "Dropout")
    alias();
  else if (op == "Pad")
    pad();
  else if (op == "Conv")
    conv();
  else if (op == "MaxPool" || op == "AveragePool")
    pool(op == "MaxPool");
  else if (op == "Gemm")
    gemm();
  else if (op == "MatMul")
    matmul();
  else if (op == "Add")
    add();
  else if (op == "BatchNormalization")
    batch_norm();
  else if (op == "Relu" || op == "Tanh" || op == "Sigmoid" || op == "Softmax")
    activation(op);
  else if (op == "Flatten")
    flatten();
  else if (op == "Reshape")
    reshape();
  else if (op == "Transpose")
    transpose();
  else if (op == "Squeeze")
    squeeze();
  else if (op == "Gather")
    gather();
  else if (op == "LSTM" || op == "GRU")
    recurrent(op == "LSTM");
  else if (op == "GlobalAveragePool")
    global_avg_pool();
  else
    fail("operator " + op +
         " is not supported. ser imports Conv, MaxPool, AveragePool, GlobalAveragePool, Gemm, "
         "MatMul, Add, BatchNormalization, Relu, Tanh, Sigmoid, Softmax, Flatten, Reshape, Transpose, Squeeze, "
         "Gather, LSTM, GRU, Dropout, Identity and Pad (of nothing), in the arrangements ser's layers make");
}

// Node k + offset, when it is `op` reading `inputs` ("" matches any input there); else null.
const onnx::NodeProto* Importer::follows(size_t k, size_t offset, const std::string& op,
                                         std::initializer_list<std::string> inputs) const {
  const auto& nodes = model_.graph().node();
  if (k + offset >= static_cast<size_t>(nodes.size())) return nullptr;
  const onnx::NodeProto& n = nodes.Get(static_cast<int>(k + offset));
  if (n.op_type() != op || n.input_size() < static_cast<int>(inputs.size())) return nullptr;
  int i = 0;
  for (const auto& want : inputs) {
    if (!want.empty() && n.input(i) != want) return nullptr;
    ++i;
  }
  return &n;
}

// ser's statistics pooling as its export writes it: mean over steps, then
// sqrt(mean of squared deviations + eps), the two joined.
size_t Importer::stats_pool(size_t k) {
  const Data d = data(0);
  const std::string& x = node_->input(0);
  const Attributes first(*node_);
  const onnx::NodeProto* mean = node_;
  const onnx::NodeProto *sub = follows(k, 1, "Sub", {x, mean->output(0)}),
                        *sq = sub ? follows(k, 2, "Mul", {sub->output(0), sub->output(0)}) : nullptr,
                        *var = sq ? follows(k, 3, "ReduceMean", {sq->output(0)}) : nullptr,
                        *eps = var ? follows(k, 4, "Add", {var->output(0), ""}) : nullptr,
                        *sd = eps ? follows(k, 5, "Sqrt", {eps->output(0)}) : nullptr,
                        *flat = sd ? follows(k, 6, "Flatten", {mean->output(0)}) : nullptr,
                        *cat = flat ? follows(k, 7, "Concat", {flat->output(0), sd->output(0)}) : nullptr;
  if (!cat || first.ints("axes", {}) != Ints{1} || first.i("keepdims", 1) != 1 || !consts_.count(eps->input(1)) ||
      consts_.at(eps->input(1)).floats.size() != 1)
    fail("ReduceMean is supported as the start of ser's statistics pooling (mean and deviation over steps)");
  const float epsilon = consts_.at(eps->input(1)).floats.at(0);
  node_ = cat;
  produce({add_layer(LayerSpec("stats_pool", {{"epsilon", std::to_string(epsilon)}}), {}, shape_of(d)), View::plain});
  return 8;
}

// ser's attention pooling as its export writes it: softmax over steps of
// tanh(x W^T + b) v, the steps weighted by it and summed.
size_t Importer::attention_pool(size_t k) {
  const Data d = data(0);
  const std::string& x = node_->input(0);
  const onnx::NodeProto* project = node_;
  const onnx::NodeProto *bias = follows(k, 1, "Add", {project->output(0), ""}),
                        *tanh = bias ? follows(k, 2, "Tanh", {bias->output(0)}) : nullptr,
                        *score = tanh ? follows(k, 3, "MatMul", {tanh->output(0), ""}) : nullptr,
                        *softmax = score ? follows(k, 4, "Softmax", {score->output(0)}) : nullptr,
                        *weighted = softmax ? follows(k, 5, "Mul", {softmax->output(0), x}) : nullptr,
                        *sum = weighted ? follows(k, 6, "ReduceSum", {weighted->output(0), ""}) : nullptr;
  if (!sum || Attributes(*softmax).i("axis", -1) != 1 || Attributes(*sum).i("keepdims", 1) != 0)
    fail("MatMul on a sequence is supported as the start of ser's attention pooling");
  const Const& wt = weights(1);  // [F, U]
  if (wt.dims.size() != 2 || wt.dims[0] != shape_of(d)[1]) fail("the projection does not fit the sequence's features");
  node_ = bias;
  const Const& b = weights(1);
  node_ = score;
  const Const& v = weights(1);
  node_ = sum;
  if (constant(1).ints != Ints{1}) fail("the attention pooling must sum over the steps (axis 1)");
  const int64_t U = wt.dims.at(1);
  Weights weights = {{"weight", transposed(wt)}, {"bias", b.floats}, {"context", v.floats}};
  produce({add_layer(LayerSpec("attention_pool", {{"units", std::to_string(U)}}), std::move(weights), shape_of(d)),
           View::plain});
  return 7;
}

void Importer::alias() {
  data_[node_->output(0)] = data(0);
  fresh_.insert(node_->output(0));
}

// PyTorch writes an average pool as a Pad of zero width before it.
void Importer::pad() {
  const Ints pads = constant(1).ints;
  if (std::any_of(pads.begin(), pads.end(), [](int64_t p) { return p != 0; }))
    fail("padding [" + join(pads, ", ") + "] as a node of its own is not supported; ser pads inside its convolutions");
  alias();
}

// Stride, dilation and padding of a convolution or pool, from ONNX's pads
// (each axis's start, then each axis's end) or auto_pad. ser pads as
// TensorFlow's `same` does, or by a count on both sides (convolutions only).
void Importer::set_window(LayerSpec& spec, const Shape& in, const Ints& kernel, const Ints& strides,
                          const Ints& dilations, bool explicit_allowed) const {
  const Attributes a(*node_);
  const size_t dims = kernel.size();
  const std::string auto_pad = a.s("auto_pad", "NOTSET");
  const Ints pads = a.ints("pads", Ints(2 * dims, 0));
  if (pads.size() != 2 * dims || strides.size() != dims || dilations.size() != dims)
    fail("pads, strides and dilations must give every spatial axis (" + std::to_string(dims) + ")");
  spec.set("stride", join(strides, "x"));
  if (spec.type().starts_with("conv")) spec.set("dilation", join(dilations, "x"));
  if (auto_pad == "SAME_UPPER") return void(spec.set("padding", "same"));  // TensorFlow's same: the extra at the end
  if (auto_pad != "NOTSET" && auto_pad != "VALID") fail("auto_pad " + auto_pad + " is not supported");
  bool zero = true, same = true, symmetric = true;
  for (size_t k = 0; k < dims; ++k) {
    const int64_t extent = in[static_cast<int>(in.rank() - dims + k)];
    const Extent e = window_extent(extent, kernel[k], strides[k], dilations[k], Padding::same);
    zero &= pads[k] == 0 && pads[k + dims] == 0;
    same &= pads[k] == e.pad_before && pads[k + dims] == e.pad_after;
    symmetric &= pads[k] == pads[k + dims];
  }
  if (zero || auto_pad == "VALID") return void(spec.set("padding", "valid"));
  if (same) return void(spec.set("padding", "same"));
  if (!symmetric || !explicit_allowed)
    fail("pads " + join(pads, ",") + " are not supported: ser pads as TensorFlow's 'same' does" +
         (explicit_allowed ? ", or equally on both sides" : ""));
  spec.set("padding", join(Ints(pads.begin(), pads.begin() + static_cast<long>(dims)), "x"));
}

void Importer::conv() {
  const Data d = data(0);
  const Shape in = shape_of(d);
  if (d.view != View::plain || (in.rank() != 2 && in.rank() != 3))
    fail("a convolution needs [batch, channels, length] or [batch, channels, height, width]");
  const Attributes a(*node_);
  if (a.i("group", 1) != 1)
    fail("grouped convolutions (group " + std::to_string(a.i("group", 1)) + ") are not supported");
  const Const& w = weights(1);
  const size_t dims = static_cast<size_t>(in.rank() - 1);
  if (w.dims.size() != dims + 2 || w.dims[1] != in[0])
    fail("weight dims [" + join(w.dims, ", ") + "] do not fit the input's " + std::to_string(in[0]) + " channels");
  const Ints kernel(w.dims.begin() + 2, w.dims.end());
  LayerSpec spec(dims == 1 ? "conv1d" : "conv2d");
  spec.set("filters", std::to_string(w.dims[0])).set("kernel", join(kernel, "x"));
  set_window(spec, in, kernel, a.ints("strides", Ints(dims, 1)), a.ints("dilations", Ints(dims, 1)), true);
  Weights weights = {{"weight", w.floats}};
  if (node_->input_size() > 2 && !node_->input(2).empty())
    weights["bias"] = this->weights(2).floats;
  else
    spec.set("use_bias", "false");
  produce({add_layer(spec, std::move(weights), in), View::plain});
}

void Importer::pool(bool max) {
  const Data d = data(0);
  const Shape in = shape_of(d);
  if (d.view != View::plain || (in.rank() != 2 && in.rank() != 3))
    fail("a pool needs [batch, channels, length] or [batch, channels, height, width]");
  const Attributes a(*node_);
  const size_t dims = static_cast<size_t>(in.rank() - 1);
  const Ints kernel = a.ints("kernel_shape", {});
  if (kernel.size() != dims) fail("kernel_shape must have one size per spatial axis");
  if (a.i("ceil_mode", 0) != 0) fail("ceil_mode 1 is not supported: ser's pools drop a window that does not fit");
  for (int64_t v : a.ints("dilations", Ints(dims, 1)))
    if (v != 1) fail("dilated pools are not supported");
  LayerSpec spec(std::string(max ? "maxpool" : "avgpool") + (dims == 1 ? "1d" : "2d"));
  spec.set("pool", join(kernel, "x"));
  set_window(spec, in, kernel, a.ints("strides", Ints(dims, 1)), Ints(dims, 1), false);
  // An average over a window that reaches into the padding divides by the inputs it covers, in ser as in Keras.
  if (!max && spec.text("padding") == "same" && a.i("count_include_pad", 0) != 0)
    fail("count_include_pad 1 is not supported: ser's average leaves padding out");
  produce({add_layer(spec, {}, in), View::plain});
}

void Importer::gemm() {
  const Data d = data(0);
  const Shape in = shape_of(d);
  if (d.view != View::plain || in.rank() != 1) fail("Gemm needs a flat input [batch, features] (flatten before it)");
  const Attributes a(*node_);
  if (a.i("transA", 0) != 0 || a.f("alpha", 1.0f) != 1.0f || a.f("beta", 1.0f) != 1.0f)
    fail("only transA 0, alpha 1 and beta 1 are supported (a dense layer)");
  const Const& b = weights(1);
  if (b.dims.size() != 2) fail("weights must be a matrix");
  const bool out_first = a.i("transB", 0) != 0;  // [out, in], as ser keeps a dense weight
  const int64_t out = out_first ? b.dims[0] : b.dims[1], features = out_first ? b.dims[1] : b.dims[0];
  if (features != in[0])
    fail("weights for " + std::to_string(features) + " inputs, the input has " + std::to_string(in[0]));
  const std::vector<float> w = out_first ? b.floats : transposed(b);
  LayerSpec spec("dense", {{"units", std::to_string(out)}});
  Weights weights = {{"weight", w}};
  if (node_->input_size() > 2 && !node_->input(2).empty()) {
    const Const& c = this->weights(2);
    if (static_cast<int64_t>(c.floats.size()) != out)
      fail("the bias has " + std::to_string(c.floats.size()) + " values for " + std::to_string(out) + " units");
    weights["bias"] = c.floats;
  } else {
    spec.set("use_bias", "false");
  }
  produce({add_layer(spec, std::move(weights), in), View::plain});
}

// x [N, F] times a constant [F, U]: a dense layer without bias; an Add of a constant after it gives the bias.
void Importer::matmul() {
  const Data d = data(0);
  const Shape in = shape_of(d);
  if (d.view != View::plain || in.rank() != 1) fail("MatMul is supported as a dense layer on a flat input");
  const Const& b = weights(1);
  if (b.dims.size() != 2 || b.dims[0] != in[0]) fail("weights [" + join(b.dims, ", ") + "] do not fit the input");
  const int64_t out = b.dims[1];
  produce({add_layer(LayerSpec("dense", {{"units", std::to_string(out)}, {"use_bias", "false"}}),
                     {{"weight", transposed(b)}}, in),
           View::plain});
}

void Importer::add() {
  if (node_->input_size() != 2) fail("an Add of " + std::to_string(node_->input_size()) + " inputs");
  const bool first_is_data = data_.count(node_->input(0)) > 0, second_is_data = data_.count(node_->input(1)) > 0;
  if (first_is_data && second_is_data) {  // a residual connection
    const int newest = newest_.count(node_->input(0)) ? 0 : 1;
    const Data h = data(newest), skip = data(1 - newest);
    if (h.view != View::plain || skip.view != View::plain) fail("a residual add needs both inputs in ser's layout");
    LayerSpec spec("add", {{"from", name_layer(skip.layer)}});
    return produce({add_layer(spec, {}, shape_of(h)), View::plain});
  }
  // A bias after a MatMul.
  const int at = first_is_data ? 0 : 1;
  const Data h = data(at);
  const Const& bias = weights(1 - at);
  LayerSpec* dense = h.layer >= 0 ? &specs_[static_cast<size_t>(h.layer)] : nullptr;
  if (!dense || dense->type() != "dense" || weights_[static_cast<size_t>(h.layer)].count("bias") ||
      uses_[node_->input(at)] != 1 ||
      static_cast<int64_t>(bias.floats.size()) != shapes_[static_cast<size_t>(h.layer)][0])
    fail("adding a constant is supported as the bias of the MatMul just before");
  dense->set("use_bias", "true");
  weights_[static_cast<size_t>(h.layer)]["bias"] = bias.floats;
  produce(h);
}

void Importer::batch_norm() {
  const Data d = data(0);
  if (d.view != View::plain) fail("batch normalisation needs ser's layout");
  const Attributes a(*node_);
  if (a.i("training_mode", 0) != 0 || node_->output_size() > 1)
    fail("only inference-form batch normalisation is supported");
  LayerSpec spec("batchnorm", {{"epsilon", std::to_string(a.f("epsilon", 1e-5f))},
                               {"momentum", std::to_string(a.f("momentum", 0.9f))}});
  Weights w = {{"gamma", weights(1).floats},
               {"beta", weights(2).floats},
               {"running_mean", weights(3).floats},
               {"running_var", weights(4).floats}};
  produce({add_layer(spec, std::move(w), shape_of(d)), View::plain});
}

void Importer::activation(const std::string& op) {
  const Data d = data(0);
  if (d.view != View::plain) fail("an activation needs ser's layout here");
  std::string kind = op == "Relu" ? "relu" : op == "Tanh" ? "tanh" : op == "Sigmoid" ? "sigmoid" : "softmax";
  const Shape& in = shape_of(d);
  if (kind == "softmax") {
    const int64_t axis = Attributes(*node_).i("axis", -1);
    if (axis != -1 && axis != in.rank())
      fail("softmax over axis " + std::to_string(axis) + "; ser's runs over the last");
  }
  // Folded into the dense or convolution just before (ser's convolution runs a relu inside).
  LayerSpec* last = d.layer >= 0 && d.layer + 1 == static_cast<int>(specs_.size()) ? &specs_.back() : nullptr;
  const bool foldable = last && uses_[node_->input(0)] == 1 && last->text("activation", "none") == "none" &&
                        (last->type() == "dense" || (last->type().starts_with("conv") && kind != "softmax"));
  if (foldable) {
    last->set("activation", kind);
    return produce(d);
  }
  produce({add_layer(LayerSpec(kind), {}, in), View::plain});
}

void Importer::flatten() {
  const Data d = data(0);
  if (Attributes(*node_).i("axis", 1) != 1) fail("only axis 1 is supported (everything but the batch)");
  if (d.view == View::gap || (d.view == View::plain && shape_of(d).rank() == 1)) return produce({d.layer, View::plain});
  if (d.view != View::plain) fail("flattening this layout is not supported");
  produce({add_layer(LayerSpec("flatten"), {}, shape_of(d)), View::plain});
}

void Importer::global_avg_pool() {
  const Data d = data(0);
  if (d.view != View::plain || shape_of(d).rank() < 2) fail("GlobalAveragePool needs [batch, channels, ...]");
  produce({add_layer(LayerSpec("global_avg_pool"), {}, shape_of(d)), View::gap});
}

// A recurrent layer's output width, directions x units; 0 for any other data.
int64_t Importer::recurrent_width(const Data& d) const {
  if (d.layer < 0 || !recurrent_.count(d.layer)) return 0;
  const LayerSpec& s = specs_[static_cast<size_t>(d.layer)];
  return (s.flag("bidirectional", false) ? 2 : 1) * s.integer("units");
}

// Target sizes after the batch, with ONNX's 0 (as the input has it) and one
// -1 (what is left) resolved; their product must be the input's size.
Ints Importer::resolved_sizes(const Shape& in, const Ints& target) const {
  Ints per(target.begin() + 1, target.end());
  int64_t known = 1, unknown = -1;
  for (size_t k = 0; k < per.size(); ++k) {
    if (per[k] == 0 && static_cast<int>(k) < in.rank()) per[k] = in[static_cast<int>(k)];  // 0: as the input has it
    if (per[k] == -1 && unknown < 0)
      unknown = static_cast<int64_t>(k);
    else if (per[k] < 1)
      fail("reshape to [" + join(target, ", ") + "]: sizes must be positive, one may be -1");
    else
      known *= per[k];
  }
  if (unknown >= 0) per[static_cast<size_t>(unknown)] = in.numel() / known;
  int64_t total = 1;
  for (int64_t v : per) total *= v;
  if (total != in.numel()) fail("reshape of " + in.str() + " to [" + join(target, ", ") + "]: the sizes differ");
  return per;
}

// A reshape of plain data [batch, ...]: nothing, a flatten or ser's reshape layer.
void Importer::reshape_plain(const Data& d, const Ints& target) {
  const Shape& in = shape_of(d);
  const Ints per = resolved_sizes(in, target);
  if (per.size() == 1)
    return in.rank() == 1 ? produce(d) : produce({add_layer(LayerSpec("flatten"), {}, in), View::plain});
  produce({add_layer(LayerSpec("reshape", {{"shape", join(per, "x")}}), {}, in), View::plain});
}

void Importer::reshape() {
  const Data d = data(0);
  if (node_->input_size() < 2) fail("a Reshape needs its target shape");
  if (ignored_.count(node_->input(1)))
    fail(
        "the target shape is computed from the input's shape (PyTorch's x.view(x.size(0), -1)); "
        "export with torch.flatten(x, 1) or nn.Flatten, which ONNX writes as Flatten");
  const Ints target = constant(1).ints;
  const int64_t Dtimes = recurrent_width(d);
  auto ends_with = [&](std::initializer_list<int64_t> tail) {
    return target.size() >= tail.size() &&
           std::equal(tail.begin(), tail.end(), target.end() - static_cast<long>(tail.size()));
  };
  switch (d.view) {
    case View::gap:
      if (target.size() == 2) return produce({d.layer, View::plain});
      break;
    case View::width_first: {  // [N, W, C, H] -> [N, W, C*H]: ser's to_sequence
      const Shape& map = shape_of(d);
      if (target.size() == 3 && (target[2] == -1 || target[2] == map[0] * map[1]))
        return produce({add_layer(LayerSpec("to_sequence"), {}, map), View::plain});
      break;
    }
    case View::rnn_y_ntdh:
      if (target.size() == 3 && (ends_with({Dtimes}) || target[2] == -1)) {
        settle(d.layer, true);
        return produce({d.layer, View::plain});
      }
      break;
    case View::rnn_y_tndh:
      if (target.size() == 3 && (ends_with({Dtimes}) || target[2] == -1)) return produce({d.layer, View::rnn_y_tnf});
      break;
    case View::rnn_h_ndh:
      if (target.size() == 2 && (ends_with({Dtimes}) || target[1] == -1)) {
        settle(d.layer, false);
        return produce({d.layer, View::plain});
      }
      break;
    case View::plain:
      if (target.size() >= 2) return reshape_plain(d, target);
      break;
    default:
      break;
  }
  fail("reshape to [" + join(target, ", ") + "] is not supported here");
}

void Importer::transpose() {
  const Data d = data(0);
  const Ints perm = Attributes(*node_).ints("perm", {});
  const int rank = d.view == View::plain ? shape_of(d).rank() : 0;
  auto is = [&](std::initializer_list<int64_t> p) { return perm == Ints(p); };
  if (d.view == View::plain && rank == 2 && is({1, 0, 2})) return produce({d.layer, View::time_major});
  if (d.view == View::time_major && is({1, 0, 2})) return produce({d.layer, View::plain});
  if (d.view == View::plain && rank == 3 && is({0, 3, 1, 2})) return produce({d.layer, View::width_first});
  if (d.view == View::rnn_y && is({2, 0, 1, 3})) return produce({d.layer, View::rnn_y_ntdh});
  if (d.view == View::rnn_y && is({0, 2, 1, 3})) return produce({d.layer, View::rnn_y_tndh});
  if (d.view == View::rnn_y_tnf && is({1, 0, 2})) {
    settle(d.layer, true);
    return produce({d.layer, View::plain});
  }
  if (d.view == View::rnn_h && is({1, 0, 2})) return produce({d.layer, View::rnn_h_ndh});
  fail("transpose [" + join(perm, ", ") + "] is not supported here (ser's layers are batch first)");
}

int64_t directions(const LayerSpec& s) { return s.flag("bidirectional", false) ? 2 : 1; }

void Importer::squeeze() {
  const Data d = data(0);
  Ints axes = Attributes(*node_).ints("axes", {});
  if (node_->input_size() > 1 && !node_->input(1).empty()) axes = constant(1).ints;
  if (d.view == View::gap) return produce({d.layer, View::plain});
  const bool one_direction =
      d.layer >= 0 && recurrent_.count(d.layer) && directions(specs_[static_cast<size_t>(d.layer)]) == 1;
  if (d.view == View::rnn_y && one_direction && axes == Ints{1}) return produce({d.layer, View::rnn_y_tnf});
  if (d.view == View::rnn_h && one_direction && axes == Ints{0}) {
    settle(d.layer, false);
    return produce({d.layer, View::plain});
  }
  fail("squeezing axes [" + join(axes, ", ") + "] is not supported here");
}

// The last state of a one-direction recurrent layer, picked from its states or its sequence.
void Importer::gather() {
  const Data d = data(0);
  const Const& index = constant(1);
  const int64_t axis = Attributes(*node_).i("axis", 0);
  if (index.ints.size() != 1 || !index.dims.empty() || d.layer < 0 || !recurrent_.count(d.layer))
    fail("gathering is supported only to take a recurrent layer's last state");
  const LayerSpec& s = specs_[static_cast<size_t>(d.layer)];
  const int64_t steps = shape_of({d.layer - 1, View::plain})[0], i = index.ints[0];
  const bool last_step = i == -1 || i == steps - 1;
  if (directions(s) != 1) fail("one direction's state of a bidirectional layer: ser's layer gives both, joined");
  const bool from_states = d.view == View::rnn_h && axis == 0 && (i == 0 || i == -1);
  const bool from_sequence = ((d.view == View::plain && axis == 1) || (d.view == View::rnn_y_tnf && axis == 0)) &&
                             last_step && uses_[node_->input(0)] == 1;
  if (!from_states && !from_sequence) fail("only the last step of the sequence (or the last state) is supported");
  if (d.view == View::plain) settled_.erase(d.layer);  // the sequence was settled one step early
  settle(d.layer, false);
  produce({d.layer, View::plain});
}

void Importer::settle(int layer, bool sequences) {
  const auto it = settled_.find(layer);
  if (it != settled_.end() && it->second != sequences)
    fail("both the sequence and the last state of a recurrent layer are used; ser's layer gives one");
  settled_[layer] = sequences;
  LayerSpec& spec = specs_[static_cast<size_t>(layer)];
  spec.set("return_sequences", sequences ? "true" : "false");
  Rng rng(0);
  const Shape& in = layer == 0 ? input_ : shapes_[static_cast<size_t>(layer - 1)];
  StateBudget budget{kMaxModelValues, "a model ser builds"};
  auto made = make_layer(spec);
  made->set_budget(&budget);
  shapes_[static_cast<size_t>(layer)] = made->setup(in, rng);
}

// What ser's LSTM and GRU can take of an ONNX recurrent node: forward or
// bidirectional, the default layout and activations, no clipping,
// sequence lengths or peepholes, a zero initial state; for a GRU, the reset
// after the recurrent product (PyTorch's). Refuses anything else.
void Importer::check_recurrent(const Attributes& a, bool lstm) const {
  const std::string direction = a.s("direction", "forward");
  if (direction != "forward" && direction != "bidirectional") fail("direction " + direction + " is not supported");
  if (a.i("layout", 0) != 0 || a.has("clip") || a.has("activations") || a.i("input_forget", 0) != 0)
    fail("only the default layout, activations and no clipping are supported");
  if (!lstm && a.i("linear_before_reset", 0) != 1)
    fail("linear_before_reset 0 is not supported: ser's GRU applies the reset after the recurrent product, as PyTorch");
  for (int k = 4; k < node_->input_size(); ++k) {
    const std::string& v = node_->input(k);
    const bool initial_state = k == 5 || (lstm && k == 6);
    if (!v.empty() && !(initial_state && zeros_.count(v)))
      fail(k == 4          ? "sequence lengths are not supported"
           : initial_state ? "only a zero initial state is supported"
                           : "peepholes are not supported");
  }
}

// ONNX's weights w [D, G*H, F], r [D, G*H, H] and bias b [D, 2*G*H] as
// ser's tensors per direction. ONNX keeps LSTM gates i, o, f, c and GRU
// gates z, r, h; ser keeps PyTorch's i, f, g, o and r, z, n, and one LSTM
// bias (the sum of ONNX's two).
Weights recurrent_weights(const Const& w, const Const& r, const std::vector<float>& b, int64_t D, int64_t H, int64_t F,
                          bool lstm) {
  const int64_t G = lstm ? 4 : 3;
  const Ints order = lstm ? Ints{0, 2, 3, 1} : Ints{1, 0, 2};
  Weights weights;
  for (int64_t k = 0; k < D; ++k) {
    const std::string suffix = k ? "_reverse" : "";
    weights["weight_ih" + suffix] = regate(w.floats.data() + k * G * H * F, H, F, order);
    weights["weight_hh" + suffix] = regate(r.floats.data() + k * G * H * H, H, H, order);
    const std::vector<float> wb = regate(b.data() + k * 2 * G * H, H, 1, order),
                             rb = regate(b.data() + (k * 2 + 1) * G * H, H, 1, order);
    if (lstm) {
      std::vector<float> sum(wb.size());
      for (size_t j = 0; j < sum.size(); ++j) sum[j] = wb[j] + rb[j];
      weights["bias" + suffix] = sum;
    } else {
      weights["bias_ih" + suffix] = wb;
      weights["bias_hh" + suffix] = rb;
    }
  }
  return weights;
}

void Importer::recurrent(bool lstm) {
  const Data d = data(0);
  if (d.view != View::time_major)
    fail(
        "ser reads recurrent layers batch first: the input must be [batch, steps, features] transposed to ONNX's "
        "[steps, batch, features]");
  const Attributes a(*node_);
  check_recurrent(a, lstm);
  const Shape in = shape_of({d.layer, View::plain});
  const int64_t H = a.i("hidden_size", 0), G = lstm ? 4 : 3, F = in[1];
  const int64_t D = a.s("direction", "forward") == "bidirectional" ? 2 : 1;
  if (H < 1 || H > (int64_t{1} << 20)) fail("hidden_size " + std::to_string(H) + " is out of range");
  const Const &w = weights(1), &r = weights(2);
  if (w.dims != Ints{D, G * H, F} || r.dims != Ints{D, G * H, H})
    fail("weights do not fit hidden_size " + std::to_string(H) + " and " + std::to_string(F) + " features");
  const std::vector<float> zero_bias(static_cast<size_t>(D * 2 * G * H), 0.0f);
  const std::vector<float>& b = node_->input_size() > 3 && !node_->input(3).empty() ? weights(3).floats : zero_bias;
  if (b.size() != zero_bias.size()) fail("the bias does not fit hidden_size " + std::to_string(H));
  LayerSpec spec(
      lstm ? "lstm" : "gru",
      {{"units", std::to_string(H)}, {"bidirectional", D == 2 ? "true" : "false"}, {"return_sequences", "true"}});
  const int layer = add_layer(spec, recurrent_weights(w, r, b, D, H, F, lstm), in);
  recurrent_.insert(layer);
  produce({layer, View::rnn_y}, 0);
  if (node_->output_size() > 1 && !node_->output(1).empty()) produce({layer, View::rnn_h}, 1);
  if (node_->output_size() > 2 && !node_->output(2).empty()) produce({layer, View::unusable}, 2);
}

Sequential Importer::build() const {
  Rng rng(0);
  std::optional<Sequential> built;
  try {
    built.emplace(specs_, input_, rng, model_.graph().name().empty() ? "imported" : model_.graph().name());
  } catch (const std::exception& e) {
    throw OnnxImportError(source_ + ": " + e.what());
  }
  Sequential& model = *built;
  for (size_t i = 0; i < model.size(); ++i) {
    Layer& layer = model.layer(i);
    std::vector<NamedTensor> all = layer.parameters();
    for (auto& b : layer.buffers()) all.push_back(b);
    for (auto& t : all) {
      const auto it = weights_[i].find(t.name);
      if (it == weights_[i].end() || static_cast<int64_t>(it->second.size()) != t.tensor.numel())
        throw OnnxImportError(source_ + ": layer " + std::to_string(i) + " (" + specs_[i].type() + ") '" + t.name +
                              "': " + (it == weights_[i].end() ? "not in the file" : "wrong size"));
      std::copy(it->second.begin(), it->second.end(), t.tensor.data());
    }
  }
  return std::move(model);
}

Sequential Importer::run() {
  const onnx::GraphProto& g = model_.graph();
  for (const auto& t : g.initializer()) consts_[t.name()] = read_tensor(t, source_);
  for (const auto& n : g.node())
    for (const auto& in : n.input()) ++uses_[in];
  read_input();
  for (size_t k = 0; k < static_cast<size_t>(g.node_size());) {
    try {
      k += read_node(k);
    } catch (const OnnxImportError&) {
      throw;
    } catch (const std::exception& e) {  // a layer's or a kernel helper's own refusal, with the node named
      fail(e.what());
    }
  }
  node_ = nullptr;
  if (g.output_size() != 1)
    throw OnnxImportError(source_ + ": the graph has " + std::to_string(g.output_size()) +
                          " outputs; a ser model has one");
  const auto out = data_.find(g.output(0).name());
  if (out == data_.end() || out->second.view != View::plain || !fresh(g.output(0).name()))
    throw OnnxImportError(source_ + ": the output '" + g.output(0).name() +
                          "' is not the end of the layer chain in ser's layout");
  for (int layer : recurrent_)
    if (!settled_.count(layer))
      throw OnnxImportError(source_ + ": recurrent layer " + std::to_string(layer) +
                            "'s output is not used in a form ser knows");
  if (specs_.empty()) throw OnnxImportError(source_ + ": the graph has no layers");
  return build();
}

}  // namespace

ImportedOnnx import_onnx(const std::string& bytes, const std::string& source) {
  onnx::ModelProto proto;
  if (!proto.ParseFromString(bytes))
    throw OnnxImportError(source + ": not an ONNX model (the protobuf does not parse)");
  Importer importer(proto, source);
  ImportedOnnx result{importer.run(), {}, proto.producer_name() + " " + proto.producer_version()};
  for (const auto& p : proto.metadata_props()) result.metadata.emplace_back(p.key(), p.value());
  return result;
}

}  // namespace ser::nn
