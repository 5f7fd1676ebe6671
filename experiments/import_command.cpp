#include "experiments/import_command.hpp"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/atomic_file.hpp"
#include "common/data_dir.hpp"
#include "common/text.hpp"
#include "experiments/arg_parser.hpp"
#include "experiments/config.hpp"
#include "nn/model_file.hpp"
#include "nn/onnx/onnx_import.hpp"

namespace ser::experiments {
namespace fs = std::filesystem;
namespace {

std::string metadata(const nn::ImportedOnnx& m, const std::string& key) {
  for (const auto& [k, v] : m.metadata)
    if (k == key) return v;
  return "";
}

// Class names: --labels, else the file's ser.labels, else class_0, class_1, ...
std::vector<std::string> labels_of(const nn::ImportedOnnx& m, const std::string& given, int64_t outputs,
                                   const std::string& source) {
  std::vector<std::string> labels;
  if (!given.empty()) {
    std::stringstream list(given);
    for (std::string l; std::getline(list, l, ',');) labels.push_back(l);
  } else if (const std::string json = metadata(m, "ser.labels"); !json.empty()) {
    try {
      labels = nlohmann::json::parse(json).get<std::vector<std::string>>();
    } catch (const nlohmann::json::exception& e) {
      throw std::runtime_error(source + ": metadata ser.labels is not a JSON list of names: " + e.what());
    }
  } else {
    for (int64_t k = 0; k < outputs; ++k) labels.push_back("class_" + std::to_string(k));
  }
  if (static_cast<int64_t>(labels.size()) != outputs)
    throw UsageError(std::to_string(labels.size()) + " labels for a model with " + std::to_string(outputs) +
                     " outputs; give one name per output with --labels");
  return labels;
}

// The published config whose features give this input shape and whose model has as many outputs.
std::string config_like(const nn::Sequential& model) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator(std::string(SER_SOURCE_DIR) + "/configs")) {
    if (entry.path().extension() != ".yaml") continue;
    try {
      const ExperimentConfig c = load_config(entry.path().string(), {}, data_dir());
      const bool same_outputs =
          !c.layers.empty() && c.layers.back().text("units", "") == std::to_string(model.output_shape().numel());
      if (model_input_shape(c) == model.input_shape() && same_outputs) found.push_back(entry.path().string());
    } catch (const std::exception&) {  // a config that needs data to resolve: not a candidate
    }
  }
  std::sort(found.begin(), found.end());
  if (found.empty())
    throw UsageError("no config in configs/ reads input " + model.input_shape().str() + " into " +
                     std::to_string(model.output_shape().numel()) +
                     " classes; give --like CONFIG, the config whose data, features and training the model should use");
  return found.front();
}

YAML::Node layers_yaml(const nn::Sequential& model) {
  YAML::Node layers(YAML::NodeType::Sequence);
  for (const auto& spec : model.specs()) {
    YAML::Node l(YAML::NodeType::Map);
    l.SetStyle(YAML::EmitterStyle::Flow);
    l["type"] = spec.type();
    for (const auto& [key, value] : spec.args()) l[key] = value;
    layers.push_back(l);
  }
  return layers;
}

// The --like config with the imported layers and model.init; its name, the model file's.
void write_config(const nn::Sequential& model, const std::string& like, const std::string& sermodel,
                  const std::string& out, const std::string& origin) {
  YAML::Node root = YAML::LoadFile(like);
  root["name"] = fs::path(out).stem().string();
  YAML::Node m(YAML::NodeType::Map);
  m["init"] = fs::relative(fs::absolute(sermodel), fs::absolute(out).parent_path()).string();
  m["layers"] = layers_yaml(model);
  root["model"] = m;
  YAML::Emitter e;
  e << root;
  std::string text = "# " + origin + ", by ser import; data, features and training from " + like + ".\n# `ser train " +
                     out + "` fine-tunes it from its imported weights (model.init).\n";
  write_file_atomically(out, text + e.c_str() + "\n");
}

}  // namespace

int import_command(const std::vector<std::string>& args) {
  ArgParser p("import", R"(Reads an ONNX model into a .sermodel: ser's own exports, PyTorch's torch.onnx.export of
models made of the layers ser has (Conv1d/2d, pools, Linear, BatchNorm, LSTM and GRU with
batch_first, ReLU/Tanh/Sigmoid/Softmax, Flatten, Dropout), or a converter's output of the
same operators. An operator or arrangement ser has no layer for is an error naming the
node. Labels and the feature recipe come from the file's metadata when ser wrote it.
With --config-out, also writes a config that fine-tunes the model from its imported weights
(model.init): the data, features and training of --like CONFIG, or of the published config
in configs/ whose features give the model's input shape and classes.
Example: ser import tess.onnx --config-out tess_finetune.yaml)");
  p.positional("MODEL", "an ONNX file")
      .option("--out", "FILE", "the .sermodel to write (default: MODEL with .sermodel)")
      .option("--config-out", "FILE.yaml", "also write a config that fine-tunes the imported model")
      .option("--like", "CONFIG", "the config --config-out takes data, features and training from")
      .option("--labels", "A,B,...", "class names in output order (default: the file's, else class_0, class_1, ...)");
  if (!p.parse(args)) return 0;
  const std::string source = p.positionals()[0];
  nn::ImportedOnnx imported = nn::import_onnx(read_file(source), source);
  nn::Sequential& model = imported.model;
  model.labels = labels_of(imported, p.maybe("--labels").value_or(""), model.output_shape().numel(), source);
  model.feature_settings = metadata(imported, "ser.feature_settings");
  const std::string out = p.maybe("--out").value_or(fs::path(source).replace_extension(".sermodel").string());
  nn::save_model(model, out);
  std::cout << model.summary() << "from " << source << " (" << imported.producer << ")\nlabels:";
  for (const auto& l : model.labels) std::cout << " " << l;
  std::cout << "\nwrote " << out << "\n";
  if (const auto config_out = p.maybe("--config-out")) {
    const std::string like = p.maybe("--like").value_or("");
    const std::string base = like.empty() ? config_like(model) : like;
    write_config(model, base, out, *config_out, "Imported from " + source + " (" + imported.producer + ")");
    load_config(*config_out, {},
                data_dir());  // what was written must load: the layers fit the features, model.init fits
    std::cout << "wrote " << *config_out << " (data, features and training of " << base
              << "); fine-tune with: ser train " << *config_out << "\n";
  }
  return 0;
}

}  // namespace ser::experiments
