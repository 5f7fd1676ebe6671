#pragma once
// `ser export RUN --onnx FILE`: a trained model as an ONNX model for other
// runtimes (nn/onnx/onnx_export), with its labels and feature recipe in the
// model's metadata.

#include <string>
#include <vector>

namespace ser::experiments {

int export_command(const std::vector<std::string>& args);

}  // namespace ser::experiments
