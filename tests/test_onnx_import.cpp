// ONNX import of models another framework wrote: PyTorch's torch.onnx.export
// of the published architectures and of the layer kinds ser has
// (tests/torch_onnx_models.py writes them into $SER_TORCH_ONNX, a CTest
// fixture), each read into a Sequential that must give PyTorch's outputs for
// the same inputs within 1e-5 of their scale; and what cannot be imported,
// refused with the node and the operator named.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "common/rng.hpp"
#include "nn/onnx/onnx_export.hpp"
#include "nn/onnx/onnx_import.hpp"

namespace fs = std::filesystem;
using namespace ser;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<float> floats(const fs::path& p) {
  const std::string bytes = slurp(p);
  std::vector<float> v(bytes.size() / sizeof(float));
  std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));
  return v;
}

nn::Shape shape(const nlohmann::json& dims) {
  const std::vector<int64_t> d = dims.get<std::vector<int64_t>>();
  return nn::Shape(std::span<const int64_t>(d));
}

}  // namespace

TEST_CASE("PyTorch's exports of the published architectures give PyTorch's outputs in ser") {
  const char* set = std::getenv("SER_TORCH_ONNX");
  const fs::path dir = set ? set : "torch_onnx";
  if (!fs::exists(dir / "cases.json")) {
    MESSAGE("SKIPPED: " << dir.string()
                        << " has no cases.json (CTest's onnx_torch_models writes it with python3-torch)");
    return;
  }
  const auto cases = nlohmann::json::parse(slurp(dir / "cases.json"));
  CHECK(cases.size() >= 8);
  for (const auto& c : cases) {
    const std::string name = c.at("name");
    CAPTURE(name);
    nn::ImportedOnnx imported = nn::import_onnx(slurp(dir / (name + ".onnx")), name + ".onnx");
    CHECK(imported.producer.starts_with("pytorch"));
    const nn::Tensor x = nn::Tensor::from(shape(c.at("input")), floats(dir / (name + ".input.f32")));
    const std::vector<float> want = floats(dir / (name + ".output.f32"));
    const nn::Tensor y = imported.model.predict(x, 1);
    REQUIRE(y.shape() == shape(c.at("output")));
    float diff = 0, scale = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      diff = std::max(diff, std::abs(y.values()[i] - want[i]));
      scale = std::max(scale, std::abs(want[i]));
    }
    MESSAGE(name << ": " << imported.model.size() << " layers, largest difference " << diff / scale
                 << " of PyTorch's output scale");
    CHECK(diff <= 1e-5f * scale);
  }
}

namespace {

// An exported model with one node's operator replaced, or a file that is not ONNX.
std::string exported_tiny() {
  Rng rng(3);
  nn::Sequential model({{"conv1d", {{"filters", "2"}, {"kernel", "3"}}}, {"flatten"}, {"dense", {{"units", "2"}}}},
                       nn::Shape{1, 8}, rng, "tiny");
  return nn::export_onnx(model, {});
}

}  // namespace

TEST_CASE("what ser cannot import is refused with the node and the operator named") {
  std::string bytes = exported_tiny();
  CHECK_NOTHROW(nn::import_onnx(bytes, "tiny.onnx"));
  // The Conv node's op_type, written as a protobuf string: swap it for an operator ser does not have.
  const size_t at = bytes.find("Conv");
  REQUIRE(at != std::string::npos);
  bytes.replace(at, 4, "Cosh");
  CHECK_THROWS_WITH_AS(nn::import_onnx(bytes, "tiny.onnx"),
                       doctest::Contains("tiny.onnx: node 'conv1d_1' (Cosh): operator Cosh is not supported"),
                       nn::OnnxImportError);
  CHECK_THROWS_WITH_AS(nn::import_onnx("not a model at all", "junk.onnx"),
                       doctest::Contains("junk.onnx: not an ONNX model"), nn::OnnxImportError);
}
