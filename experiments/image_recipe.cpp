#include "experiments/image_recipe.hpp"

#include <nlohmann/json.hpp>

namespace ser::experiments {

std::string ImageRecipe::to_text() const {
  nlohmann::ordered_json j;
  j["image"] = {{"height", height}, {"width", width}, {"channels", 1}, {"scale", scale}};
  return j.dump();
}

std::optional<ImageRecipe> ImageRecipe::of_model(const nn::Sequential& model) {
  const nn::Shape in = model.input_shape();
  if (model.feature_settings.empty()) {
    if (in.rank() != 3 || in[0] != 1) return std::nullopt;
    return ImageRecipe{static_cast<int>(in[1]), static_cast<int>(in[2])};
  }
  const auto j = nlohmann::json::parse(model.feature_settings, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("image")) return std::nullopt;
  const auto& i = j["image"];
  ImageRecipe r;
  r.height = i.value("height", 0);
  r.width = i.value("width", 0);
  r.scale = i.value("scale", 1.0 / 255.0);
  if (in != nn::Shape{1, r.height, r.width}) return std::nullopt;  // a recipe that does not fit the model is none
  return r;
}

}  // namespace ser::experiments
