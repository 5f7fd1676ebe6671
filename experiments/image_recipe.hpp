#pragma once
// How an image model's inputs were made, kept in its model file (the
// feature_settings text, as audio models keep their feature recipe): ser's
// image loader gives grayscale pixels scaled by 1/255 at the corpus's size
// (FER2013: 48 x 48). `ser faces` and `ser predict` make faces the same way.

#include <optional>
#include <string>

#include "nn/sequential.hpp"

namespace ser::experiments {

struct ImageRecipe {
  int height = 48, width = 48;  // grayscale, one channel
  double scale = 1.0 / 255.0;   // pixel value v becomes v * scale

  std::string to_text() const;  // {"image": {"height": 48, "width": 48, "channels": 1, "scale": ...}}
  // The recipe of an image model: the one it carries, or, for an image
  // model saved before models carried one (no settings, input [1, H, W]),
  // what ser's loader has always done. Empty for an audio model.
  static std::optional<ImageRecipe> of_model(const nn::Sequential& model);
};

}  // namespace ser::experiments
