#pragma once
// An ONNX model as a Sequential: ser's own exports, and the models PyTorch's
// torch.onnx.export (and converters like tf2onnx) write for the layers ser
// has. The graph must be a chain from one float input to one output, with
// residual Adds; each node becomes a layer (Conv, Gemm/MatMul+Add, pools,
// BatchNormalization, activations, Flatten/Reshape, GlobalAveragePool,
// LSTM/GRU with the transposes and gathers around them, ser's own sequence
// poolings), or is dropped where ser's layers already do its work (Dropout,
// Identity, a Relu folded into the Conv before it, the shape arithmetic
// PyTorch writes for a recurrent layer's zero initial state). Anything else
// is an OnnxImportError naming the node and its operator.

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "nn/sequential.hpp"

namespace ser::nn {

class OnnxImportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ImportedOnnx {
  Sequential model;
  std::vector<std::pair<std::string, std::string>> metadata;  // the file's metadata_props
  std::string producer;                                       // "pytorch 1.13.1", "ser 6301561"
};

// `bytes`: a serialised ModelProto; `source` names it in errors.
ImportedOnnx import_onnx(const std::string& bytes, const std::string& source);

}  // namespace ser::nn
