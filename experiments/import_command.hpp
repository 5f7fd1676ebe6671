#pragma once
// `ser import MODEL.onnx`: an ONNX model (ser's own export, PyTorch's
// torch.onnx.export, ...) as a .sermodel, and with --config-out a config
// that fine-tunes it (model.init) on a corpus and feature recipe.

#include <string>
#include <vector>

namespace ser::experiments {

int import_command(const std::vector<std::string>& args);

}  // namespace ser::experiments
