// ONNX import on arbitrary bytes: a model it accepts must run (the layers
// fit the shapes it inferred); everything else must be an OnnxImportError.
#include "nn/onnx/onnx_import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    ser::nn::ImportedOnnx m = ser::nn::import_onnx(bytes, "fuzz.onnx");
    if (m.model.input_shape().numel() <= (1 << 16)) {
      const ser::nn::Tensor x = ser::nn::Tensor::zeros(m.model.input_shape().prepend(1));
      (void)m.model.predict(x, 1);
    }
  } catch (const ser::nn::OnnxImportError&) {
  }
  return 0;
}
