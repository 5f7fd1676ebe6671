// The model-file reader on arbitrary bytes, then what `ser predict` does with
// a model it read: the feature recipe and scaling it carries must be usable
// or refused, and its labels must match its outputs.
#include <cstdlib>

#include "experiments/model_input.hpp"
#include "fuzz_support.hpp"
#include "nn/model_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    ser::nn::Sequential model = ser::nn::deserialize_model(bytes, "fuzz.sermodel");
    if (!model.labels.empty() && static_cast<int64_t>(model.labels.size()) != model.output_shape().numel())
      std::abort();
    if (!model.feature_settings.empty()) {
      try {
        const auto input = ser::experiments::ModelInput::parse(model.feature_settings, "fuzz.sermodel");
        (void)input.sample_shape();
      } catch (const std::invalid_argument&) {
      }
    }
  } catch (const ser::nn::ModelFileError&) {
  }
  return 0;
}
