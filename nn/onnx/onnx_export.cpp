#include "nn/onnx/onnx_export.hpp"

#include <onnx/onnx_pb.h>

#include <algorithm>

#include "nn/kernels/geometry.hpp"
#include "nn/layers/batchnorm.hpp"
#include "nn/layers/conv.hpp"
#include "nn/layers/dense.hpp"
#include "nn/layers/gru.hpp"
#include "nn/layers/lstm.hpp"
#include "nn/layers/pool.hpp"
#include "nn/layers/sequence_pool.hpp"
#include "nn/layers/simple.hpp"
#include "nn/onnx/graph_writer.hpp"

namespace ser::nn {
namespace {

using onnx_io::GraphWriter;
using Ints = std::vector<int64_t>;

// One layer's translation: the graph, the layer's input value and shapes
// (per sample, no batch axis), and the name it gives its nodes.
struct Step {
  GraphWriter& g;
  std::string x;
  const Shape& in;
  const Shape& out;
  const std::string& name;
};

Tensor state(Layer& layer, const std::string& which) {
  for (auto& t : layer.parameters())
    if (t.name == which) return t.tensor;
  for (auto& t : layer.buffers())
    if (t.name == which) return t.tensor;
  return {};
}

Ints dims_of(const Tensor& t) { return Ints(t.shape().dims().begin(), t.shape().dims().end()); }

std::string weights(Step& s, const Tensor& t, const std::string& what) {
  return s.g.weights(s.name + "." + what, t.values(), dims_of(t));
}

std::string activation(Step& s, Activation a, const std::string& x) {
  switch (a) {
    case Activation::none:
      return x;
    case Activation::relu:
      return s.g.op("Relu", {x}, {}, s.name + "/relu");
    case Activation::tanh:
      return s.g.op("Tanh", {x}, {}, s.name + "/tanh");
    case Activation::sigmoid:
      return s.g.op("Sigmoid", {x}, {}, s.name + "/sigmoid");
    case Activation::softmax:
      return s.g.op("Softmax", {x}, {{"axis", int64_t{-1}}}, s.name + "/softmax");
  }
  return x;
}

std::string dense(Step& s, Dense& l) {
  std::vector<std::string> in = {s.x, weights(s, state(l, "weight"), "weight")};
  if (const Tensor b = state(l, "bias"); b.defined()) in.push_back(weights(s, b, "bias"));
  // Gemm: x [N, in] times weight [units, in] transposed, plus the bias.
  return activation(s, l.activation(), s.g.op("Gemm", in, {{"transB", int64_t{1}}}, s.name));
}

// ONNX's pads for the spatial axes: every axis's start, then every axis's end,
// as window_extent pads them (TensorFlow's `same`, or explicit).
struct Window {
  Ints kernel, strides, dilations, pads;
};

Window window(const Shape& in, std::pair<int64_t, int64_t> kernel, const Conv2dOptions& o, int dims) {
  Window w;
  const int64_t in_h = dims == 1 ? 1 : in[1], in_w = in.back();
  const Extent eh = window_extent(in_h, kernel.first, o.stride_h, o.dilation_h, o.padding, o.pad_h);
  const Extent ew = window_extent(in_w, kernel.second, o.stride_w, o.dilation_w, o.padding, o.pad_w);
  if (dims == 1) return {{kernel.second}, {o.stride_w}, {o.dilation_w}, {ew.pad_before, ew.pad_after}};
  return {{kernel.first, kernel.second},
          {o.stride_h, o.stride_w},
          {o.dilation_h, o.dilation_w},
          {eh.pad_before, ew.pad_before, eh.pad_after, ew.pad_after}};
}

std::string conv(Step& s, Conv& l) {
  const Window w = window(s.in, l.kernel(), l.options(), l.dims());
  std::vector<std::string> in = {s.x, weights(s, state(l, "weight"), "weight")};
  if (const Tensor b = state(l, "bias"); b.defined()) in.push_back(weights(s, b, "bias"));
  const std::string y = s.g.op(
      "Conv", in, {{"kernel_shape", w.kernel}, {"strides", w.strides}, {"dilations", w.dilations}, {"pads", w.pads}},
      s.name);
  return activation(s, l.activation(), y);
}

std::string pool(Step& s, const Pool& l) {
  const PoolOptions& p = l.options();
  const Conv2dOptions o{p.stride_h, p.stride_w, 1, 1, p.padding, 0, 0};
  const Window w = window(s.in, {p.pool_h, p.pool_w}, o, l.dims());
  // Both leave padding out: a max ignores it, an average divides by the
  // inputs its window covers (count_include_pad 0, as ser and Keras do).
  return s.g.op(l.is_max() ? "MaxPool" : "AveragePool", {s.x},
                {{"kernel_shape", w.kernel}, {"strides", w.strides}, {"pads", w.pads}}, s.name);
}

std::string batch_norm(Step& s, BatchNorm& l) {
  return s.g.op(
      "BatchNormalization",
      {s.x, weights(s, state(l, "gamma"), "gamma"), weights(s, state(l, "beta"), "beta"),
       weights(s, state(l, "running_mean"), "running_mean"), weights(s, state(l, "running_var"), "running_var")},
      {{"epsilon", l.epsilon()}}, s.name);
}

// Rows of a recurrent weight [gates * H, cols] with its gates put in ONNX's
// order: gate k of the result is gate order[k] of ser's.
std::vector<float> regate(const Tensor& w, int64_t H, const Ints& order) {
  const int64_t cols = w.numel() / (static_cast<int64_t>(order.size()) * H);
  std::vector<float> out;
  out.reserve(static_cast<size_t>(w.numel()));
  for (int64_t gate : order) {
    const float* from = w.data() + gate * H * cols;
    out.insert(out.end(), from, from + H * cols);
  }
  return out;
}

// One ONNX recurrent input (W, R or B): for each direction, the layer's
// tensors named in `parts` (the reverse direction's carry "_reverse"), each
// regated, one after another; "" stands for a bias of zeros (ONNX's LSTM
// has a recurrent bias, ser's one bias does its work). Shape [directions, ...per_direction].
std::string recurrent_input(Step& s, Layer& l, bool both, const std::vector<std::string>& parts, int64_t H,
                            const Ints& order, Ints per_direction, const std::string& what) {
  std::vector<float> all;
  for (const std::string suffix : {"", "_reverse"}) {
    if (suffix[0] && !both) break;
    for (const auto& part : parts) {
      if (part.empty()) {
        all.insert(all.end(), static_cast<size_t>(H) * order.size(), 0.0f);
        continue;
      }
      const std::vector<float> rows = regate(state(l, part + suffix), H, order);
      all.insert(all.end(), rows.begin(), rows.end());
    }
  }
  per_direction.insert(per_direction.begin(), both ? 2 : 1);
  return s.g.weights(s.name + "." + what, all, per_direction);
}

struct Recurrent {
  std::string op;       // LSTM or GRU
  std::string w, r, b;  // its initializers
  int64_t units;
  bool bidirectional, return_sequences;
};

// ONNX's recurrent ops are time-major: [T, N, F] in, Y [T, D, N, H] and
// Y_h [D, N, H] out. ser's layers are batch-first and join the directions
// per step ([N, T, D*H]) or as the last forward and the last reverse state ([N, D*H]).
std::string recurrent(Step& s, const Recurrent& r) {
  const int64_t D = r.bidirectional ? 2 : 1;
  const std::string xt = s.g.op("Transpose", {s.x}, {{"perm", Ints{1, 0, 2}}}, s.name + "/time_major");
  const std::string direction = D == 2 ? "bidirectional" : "forward";
  const std::vector<std::string> in = {xt, r.w, r.r, r.b};
  // Y and Y_h (an LSTM's Y_c is left out).
  std::vector<std::string> outs;
  if (r.op == "GRU")
    outs =
        s.g.node("GRU", in, {{"hidden_size", r.units}, {"direction", direction}, {"linear_before_reset", int64_t{1}}},
                 s.name, 2);
  else
    outs = s.g.node("LSTM", in, {{"hidden_size", r.units}, {"direction", direction}}, s.name, 2);
  if (r.return_sequences) {
    const std::string y = s.g.op("Transpose", {outs[0]}, {{"perm", Ints{2, 0, 1, 3}}}, s.name + "/batch_first");
    return s.g.op("Reshape", {y, s.g.integers(s.name + ".shape", {0, 0, D * r.units})}, {}, s.name + "/joined");
  }
  const std::string h = s.g.op("Transpose", {outs[1]}, {{"perm", Ints{1, 0, 2}}}, s.name + "/batch_first");
  return s.g.op("Reshape", {h, s.g.integers(s.name + ".shape", {0, D * r.units})}, {}, s.name + "/joined");
}

std::string lstm(Step& s, Lstm& l) {
  // ser keeps PyTorch's gate order i, f, g, o; ONNX's is i, o, f, c.
  const Ints order = {0, 3, 1, 2};
  const int64_t H = l.units(), F = s.in[1];
  const bool both = l.bidirectional();
  return recurrent(s,
                   {"LSTM", recurrent_input(s, l, both, {"weight_ih"}, H, order, {4 * H, F}, "W"),
                    recurrent_input(s, l, both, {"weight_hh"}, H, order, {4 * H, H}, "R"),
                    recurrent_input(s, l, both, {"bias", ""}, H, order, {8 * H}, "B"), H, both, l.return_sequences()});
}

std::string gru(Step& s, Gru& l) {
  // ser keeps PyTorch's gate order r, z, n; ONNX's is z, r, h. Both put the
  // recurrent bias of n inside the reset (linear_before_reset).
  const Ints order = {1, 0, 2};
  const int64_t H = l.units(), F = s.in[1];
  const bool both = l.bidirectional();
  return recurrent(
      s, {"GRU", recurrent_input(s, l, both, {"weight_ih"}, H, order, {3 * H, F}, "W"),
          recurrent_input(s, l, both, {"weight_hh"}, H, order, {3 * H, H}, "R"),
          recurrent_input(s, l, both, {"bias_ih", "bias_hh"}, H, order, {6 * H}, "B"), H, both, l.return_sequences()});
}

// [N, T, F] -> [N, 2F]: the mean over steps, then sqrt(variance + eps).
std::string stats_pool(Step& s, const StatsPool& l) {
  const Ints steps = {1};
  const std::string mean = s.g.op("ReduceMean", {s.x}, {{"axes", steps}, {"keepdims", int64_t{1}}}, s.name + "/mean");
  const std::string d = s.g.op("Sub", {s.x, mean}, {}, s.name + "/centred");
  const std::string sq = s.g.op("Mul", {d, d}, {}, s.name + "/squared");
  const std::string var = s.g.op("ReduceMean", {sq}, {{"axes", steps}, {"keepdims", int64_t{0}}}, s.name + "/variance");
  const float eps[] = {l.epsilon()};
  const std::string sd =
      s.g.op("Sqrt", {s.g.op("Add", {var, s.g.weights(s.name + ".epsilon", eps, {})}, {}, s.name + "/variance_eps")},
             {}, s.name + "/deviation");
  const std::string flat_mean = s.g.op("Flatten", {mean}, {{"axis", int64_t{1}}}, s.name + "/mean_flat");
  return s.g.op("Concat", {flat_mean, sd}, {{"axis", int64_t{1}}}, s.name);
}

// [N, T, F] -> [N, F]: the steps weighted by softmax over steps of v . tanh(W x_t + b).
std::string attention_pool(Step& s, AttentionPool& l) {
  const Tensor w = state(l, "weight");  // [U, F]
  const int64_t U = w.dim(0), F = w.dim(1);
  std::vector<float> wt(static_cast<size_t>(U * F));  // MatMul takes it [F, U]
  for (int64_t u = 0; u < U; ++u)
    for (int64_t f = 0; f < F; ++f) wt[static_cast<size_t>(f * U + u)] = w.data()[u * F + f];
  const std::string z = s.g.op("MatMul", {s.x, s.g.weights(s.name + ".weight_t", wt, {F, U})}, {}, s.name + "/project");
  const std::string a = s.g.op(
      "Tanh", {s.g.op("Add", {z, weights(s, state(l, "bias"), "bias")}, {}, s.name + "/biased")}, {}, s.name + "/tanh");
  const std::string e = s.g.op("MatMul", {a, s.g.weights(s.name + ".context", state(l, "context").values(), {U, 1})},
                               {}, s.name + "/score");
  const std::string alpha = s.g.op("Softmax", {e}, {{"axis", int64_t{1}}}, s.name + "/weights");
  const std::string weighted = s.g.op("Mul", {alpha, s.x}, {}, s.name + "/weighted");
  return s.g.op("ReduceSum", {weighted, s.g.integers(s.name + ".axes", {1})}, {{"keepdims", int64_t{0}}}, s.name);
}

std::string global_avg_pool(Step& s) {
  const std::string m = s.g.op("GlobalAveragePool", {s.x}, {}, s.name + "/mean");
  return s.g.op("Flatten", {m}, {{"axis", int64_t{1}}}, s.name);
}

// [N, C, H, W] -> [N, W, C*H]: the width as steps, each step's channels and rows as features.
std::string to_sequence(Step& s) {
  const std::string t = s.g.op("Transpose", {s.x}, {{"perm", Ints{0, 3, 1, 2}}}, s.name + "/width_first");
  return s.g.op("Reshape", {t, s.g.integers(s.name + ".shape", {0, s.out[0], s.out[1]})}, {}, s.name);
}

std::string reshape(Step& s, const Reshape& l) {
  if (l.kind() == "Flatten") return s.g.op("Flatten", {s.x}, {{"axis", int64_t{1}}}, s.name);
  Ints shape = {0};  // 0: the batch axis as it comes
  shape.insert(shape.end(), s.out.dims().begin(), s.out.dims().end());
  return s.g.op("Reshape", {s.x, s.g.integers(s.name + ".shape", shape)}, {}, s.name);
}

// One layer other than add; its output's name.
std::string layer(Step& s, Layer& l) {
  if (auto* d = dynamic_cast<Dense*>(&l)) return dense(s, *d);
  if (auto* c = dynamic_cast<Conv*>(&l)) return conv(s, *c);
  if (auto* p = dynamic_cast<Pool*>(&l)) return pool(s, *p);
  if (auto* b = dynamic_cast<BatchNorm*>(&l)) return batch_norm(s, *b);
  if (auto* r = dynamic_cast<Lstm*>(&l)) return lstm(s, *r);
  if (auto* r = dynamic_cast<Gru*>(&l)) return gru(s, *r);
  if (auto* p = dynamic_cast<StatsPool*>(&l)) return stats_pool(s, *p);
  if (auto* p = dynamic_cast<AttentionPool*>(&l)) return attention_pool(s, *p);
  if (dynamic_cast<GlobalAvgPool*>(&l)) return global_avg_pool(s);
  if (dynamic_cast<ToSequence*>(&l)) return to_sequence(s);
  if (auto* r = dynamic_cast<Reshape*>(&l)) return reshape(s, *r);
  if (auto* a = dynamic_cast<ActivationLayer*>(&l)) return activation(s, a->activation(), s.x);
  if (dynamic_cast<Dropout*>(&l)) return s.x;  // identity at inference
  l.spec().fail("has no ONNX translation yet (nn/onnx/onnx_export.cpp)");
}

void describe_value(onnx::ValueInfoProto& v, const std::string& name, const Shape& per_sample) {
  v.set_name(name);
  auto& type = *v.mutable_type()->mutable_tensor_type();
  type.set_elem_type(onnx::TensorProto::FLOAT);
  auto& shape = *type.mutable_shape();
  shape.add_dim()->set_dim_param("batch");
  for (int64_t d : per_sample.dims()) shape.add_dim()->set_dim_value(d);
}

bool ends_in_softmax(Sequential& model) {
  Layer& last = model.layer(model.size() - 1);
  if (auto* d = dynamic_cast<Dense*>(&last)) return d->activation() == Activation::softmax;
  if (auto* a = dynamic_cast<ActivationLayer*>(&last)) return a->activation() == Activation::softmax;
  return false;
}

}  // namespace

std::string onnx_output_name(Sequential& model) { return ends_in_softmax(model) ? "probabilities" : "logits"; }

std::string export_onnx(Sequential& model, const OnnxExportOptions& options) {
  onnx::ModelProto proto;
  proto.set_ir_version(8);
  proto.set_producer_name("ser");
  proto.set_producer_version(options.producer_version);
  proto.set_model_version(1);
  auto& opset = *proto.add_opset_import();
  opset.set_domain("");
  opset.set_version(kOnnxOpset);
  for (const auto& [key, value] : options.metadata) {
    auto& entry = *proto.add_metadata_props();
    entry.set_key(key);
    entry.set_value(value);
  }
  onnx::GraphProto& graph = *proto.mutable_graph();
  graph.set_name(model.name());
  GraphWriter g(graph);
  const std::string input = "features", out = onnx_output_name(model);
  g.reserve(input);
  g.reserve(out);
  describe_value(*graph.add_input(), input, model.input_shape());

  std::vector<std::string> outputs;  // of every layer, for the add layers
  const auto& names = model.layer_names();
  std::string h = input;
  for (size_t i = 0; i < model.size(); ++i) {
    const Shape& in = i == 0 ? model.input_shape() : model.layer_output_shapes()[i - 1];
    Step s{g, h, in, model.layer_output_shapes()[i], names[i]};
    if (auto* add = dynamic_cast<Add*>(&model.layer(i))) {
      const auto from = std::find(names.begin(), names.begin() + static_cast<long>(i), add->from());
      const std::string skip = add->from() == "input" ? input : outputs[static_cast<size_t>(from - names.begin())];
      h = g.op("Add", {h, skip}, {}, names[i]);
    } else {
      h = layer(s, model.layer(i));
    }
    outputs.push_back(h);
  }
  g.identity(h, out);
  describe_value(*graph.add_output(), out, model.output_shape());
  std::string bytes;
  if (!proto.SerializeToString(&bytes)) throw std::runtime_error("ONNX export: the model could not be serialised");
  return bytes;
}

}  // namespace ser::nn
