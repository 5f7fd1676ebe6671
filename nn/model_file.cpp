#include "nn/model_file.hpp"

#include <optional>

#include "common/atomic_file.hpp"
#include "common/bytes.hpp"
#include "common/framed_file.hpp"
#include "common/input_file.hpp"

namespace ser::nn {

namespace {
constexpr FrameKind kModelFrame{"SERMODEL", kModelFormatVersion, "ser model file", "model data"};
constexpr uint32_t kMaxLabels = 1u << 20;

void write_shape(ByteWriter& w, const Shape& s) {
  w.pod<uint32_t>(static_cast<uint32_t>(s.rank()));
  for (int64_t d : s.dims()) w.pod<int64_t>(d);
}

Shape read_shape(ByteReader& r, const char* what) {
  const size_t rank = r.count(what, static_cast<size_t>(kMaxRank));
  std::vector<int64_t> dims(rank);
  for (auto& d : dims) {
    d = r.pod<int64_t>(what);
    if (d < 0 || d > (int64_t{1} << 32)) r.fail(std::string("impossible dimension in ") + what);
  }
  try {
    return Shape(std::span<const int64_t>(dims));
  } catch (const std::invalid_argument& e) {
    r.fail(std::string(what) + ": " + e.what());
  }
}
}  // namespace

std::string serialize_model(Sequential& model) {
  ByteWriter body;
  body.str(model.name());
  write_shape(body, model.input_shape());
  const auto specs = model.specs();
  body.pod<uint32_t>(static_cast<uint32_t>(specs.size()));
  for (const auto& spec : specs) {
    body.str(spec.type());
    body.pod<uint32_t>(static_cast<uint32_t>(spec.args().size()));
    for (const auto& [k, v] : spec.args()) {
      body.str(k);
      body.str(v);
    }
  }
  body.pod<uint32_t>(static_cast<uint32_t>(model.labels.size()));
  for (const auto& l : model.labels) body.str(l);
  body.str(model.feature_settings);
  const auto state = model.state();
  body.pod<uint32_t>(static_cast<uint32_t>(state.size()));
  for (const auto& t : state) {
    body.str(t.name);
    write_shape(body, t.tensor.shape());
    body.raw(t.tensor.values());
  }

  return frame(kModelFrame, body.bytes());
}

void save_model(Sequential& model, const std::string& path) { write_file_atomically(path, serialize_model(model)); }

namespace {
// The layer list: each layer's type and its arguments as written.
std::vector<LayerSpec> read_layer_specs(ByteReader& r) {
  std::vector<LayerSpec> specs(r.count("layers", 10000));
  for (auto& spec : specs) {
    spec = LayerSpec(r.str("layer type"));
    const size_t nargs = r.count("layer arguments", 1000);
    for (size_t a = 0; a < nargs; ++a) {
      std::string k = r.str("argument name");
      spec.set(k, r.str("argument value"));
    }
  }
  return specs;
}

// The architecture may ask for no more values than the file holds bytes
// for: a few crafted bytes must not make us allocate gigabytes.
StateBudget budget_for(const ByteReader& r) {
  StateBudget budget = default_state_budget();
  if (static_cast<int64_t>(r.remaining() / sizeof(float)) < budget.left) {
    budget.left = static_cast<int64_t>(r.remaining() / sizeof(float));
    budget.why = "the " + std::to_string(r.remaining()) + " bytes the file holds for its tensors";
  }
  return budget;
}

// The tensors, in the order of model.state(), each name and shape checked
// against what the architecture needs before its values are read.
void read_state(ByteReader& r, Sequential& model, const std::string& where) {
  auto state = model.state();
  const size_t n = r.count("tensors", 1u << 20);
  if (n != state.size())
    throw ModelFileError(where + " holds " + std::to_string(n) + " tensors; its architecture needs " +
                         std::to_string(state.size()));
  for (auto& t : state) {
    const std::string tname = r.str("tensor name");
    const Shape shape = read_shape(r, "tensor shape");
    if (tname != t.name) throw ModelFileError(where + ": expected tensor '" + t.name + "', found '" + tname + "'");
    if (!(shape == t.tensor.shape()))
      throw ModelFileError(where + ": tensor '" + tname + "' has shape " + shape.str() + " but the layer needs " +
                           t.tensor.shape().str());
    r.raw(std::span<float>(t.tensor.data(), static_cast<size_t>(t.tensor.numel())), "tensor values");
  }
}
}  // namespace

Sequential deserialize_model(const std::string& bytes, const std::string& source) {
  const std::string where = "model file '" + source + "'";
  try {
    ByteReader r(unframe(kModelFrame, bytes, where), where, kFrameHeader);
    const std::string name = r.str("model name");
    const Shape input = read_shape(r, "input shape");
    const std::vector<LayerSpec> specs = read_layer_specs(r);
    std::vector<std::string> labels(r.count("labels", kMaxLabels));
    for (auto& l : labels) l = r.str("label");
    std::string features = r.str("feature settings");

    Rng unused(0);  // every parameter is overwritten by read_state
    std::optional<Sequential> model;
    try {
      model.emplace(specs, input, unused, name, budget_for(r));
    } catch (const std::invalid_argument& e) {
      throw ModelFileError(where + ": " + e.what());
    }
    const int64_t outputs = model->output_shape().numel();
    if (!labels.empty() && static_cast<int64_t>(labels.size()) != outputs)
      throw ModelFileError(where + " names " + std::to_string(labels.size()) + " class labels, but its model gives " +
                           std::to_string(outputs) + " outputs");
    model->labels = std::move(labels);
    model->feature_settings = std::move(features);
    read_state(r, *model, where);
    if (!r.done()) r.fail("extra bytes after the last tensor");
    return std::move(*model);
  } catch (const FormatError& e) {
    throw ModelFileError(e.what());
  }
}

Sequential load_model(const std::string& path) {
  std::string bytes;
  try {
    bytes = read_input_file(path, "model file", kMaxModelFileBytes);
  } catch (const InputFileError& e) {
    throw ModelFileError(e.what());
  }
  return deserialize_model(bytes, path);
}

}  // namespace ser::nn
