#include "experiments/export_command.hpp"

#include <iostream>
#include <nlohmann/json.hpp>

#include "common/atomic_file.hpp"
#include "experiments/arg_parser.hpp"
#include "experiments/predict.hpp"
#include "experiments/source_version.hpp"
#include "nn/model_file.hpp"
#include "nn/onnx/onnx_export.hpp"

namespace ser::experiments {

namespace {

// What another runtime needs besides the graph, under keys of ser's own.
std::vector<std::pair<std::string, std::string>> metadata(const nn::Sequential& model, const std::string& source) {
  std::vector<std::pair<std::string, std::string>> m = {{"ser.labels", nlohmann::json(model.labels).dump()},
                                                        {"ser.input_shape", model.input_shape().str()},
                                                        {"ser.source", source}};
  // The recipe (features, frames, layout, scaling with the training rows' statistics) as ser keeps it.
  if (!model.feature_settings.empty()) m.emplace_back("ser.feature_settings", model.feature_settings);
  return m;
}

}  // namespace

int export_command(const std::vector<std::string>& args) {
  ArgParser p("export", R"(Writes the model of a run (or a .sermodel file) as an ONNX model (opset 17) that other
runtimes load: ONNX Runtime, OpenCV's dnn, TensorRT, onnx2torch. Input "features" is
[batch, ...the model's input shape], float32; the output is "logits", or "probabilities"
when the model ends in a softmax; the batch axis is free. Dropout is left out, batch
normalisation uses its running statistics, as at inference. The metadata holds the class
labels in output order (ser.labels, JSON), the input shape, and the feature recipe with
its scaling statistics (ser.feature_settings, JSON): what to feed the model.
Example: ser export runs/tess_cnn1d_mfcc/20261201-120000 --onnx tess.onnx)");
  p.positional("RUN", "a run directory (its model.sermodel) or a .sermodel file")
      .option("--onnx", "FILE", "the ONNX file to write (atomically)");
  if (!p.parse(args)) return 0;
  const std::string source = resolve_model_path(p.positionals()[0]);
  const std::string out = p.text("--onnx");
  nn::Sequential model = nn::load_model(source);
  const SourceVersion v = source_version();
  const std::string version = std::string(v.git_commit) + (v.modified ? "+modified" : "");
  const std::string bytes = nn::export_onnx(model, {version, metadata(model, source)});
  write_file_atomically(out, bytes);
  std::cout << "wrote " << out << " (" << bytes.size() << " bytes): " << model.layer_names().size()
            << " layers, input features " << model.input_shape().prepend(-1).str() << ", output "
            << nn::onnx_output_name(model) << " " << model.output_shape().prepend(-1).str() << ", "
            << model.labels.size() << " labels\n";
  return 0;
}

}  // namespace ser::experiments
