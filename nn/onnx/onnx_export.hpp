#pragma once
// A Sequential as an ONNX model (opset 17, IR version 8), for other runtimes:
// one input "features" [batch, ...the model's input shape] and one output,
// "probabilities" when the model ends in a softmax, else "logits", both with
// a dynamic batch axis. Every layer ser has maps onto standard operators
// (conv and pools with explicit pads, Gemm, BatchNormalization in inference
// form, LSTM and GRU in ONNX's gate order, the sequence poolings as small
// subgraphs; dropout is left out, as at inference). What the data side needs
// to feed the model (labels, feature recipe) travels in metadata_props.

#include <string>
#include <utility>
#include <vector>

#include "nn/sequential.hpp"

namespace ser::nn {

inline constexpr int kOnnxOpset = 17;

struct OnnxExportOptions {
  std::string producer_version;                               // ser's version, written as producer_version
  std::vector<std::pair<std::string, std::string>> metadata;  // written as metadata_props, in this order
};

// The serialised ModelProto. Throws LayerError naming a layer ONNX cannot express.
std::string export_onnx(Sequential& model, const OnnxExportOptions& options);

// The name export_onnx gives the output of `model`.
std::string onnx_output_name(Sequential& model);

}  // namespace ser::nn
