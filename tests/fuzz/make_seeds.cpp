// Writes the fuzz targets' seed corpora: OUT/<target>/... made from the
// shared data (audio files, FER2013 faces), the project's configs and files
// ser itself writes (a model file, a checkpoint, .npy entries). Nothing of
// the shared data is copied into the repository; the seeds live in the build.
//
//   fuzz_seeds OUT DATA_DIR REFERENCE_DIR CONFIG_DIR
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>

#include "common/atomic_file.hpp"
#include "common/npy.hpp"
#include "common/rng.hpp"
#include "common/text.hpp"
#include "datasets/fer2013.hpp"
#include "dsp/audio.hpp"
#include "experiments/checkpoint.hpp"
#include "experiments/model_input.hpp"
#include "fuzz_support.hpp"
#include "nn/model_file.hpp"
#include "nn/onnx/onnx_export.hpp"
#include "nn/optim/optimizer.hpp"

namespace fs = std::filesystem;
using namespace ser;

namespace {
void put(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

std::vector<fs::path> first_files(const fs::path& dir, size_t n) {
  std::vector<fs::path> all;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) all.push_back(e.path());
  std::sort(all.begin(), all.end());
  all.resize(std::min(n, all.size()));
  return all;
}

void audio_seeds(const fs::path& out, const fs::path& data) {
  std::vector<fs::path> files = first_files(data / "quirks", 4);
  for (const auto& f : first_files(data / "tess", 1)) files.push_back(f);
  for (const auto& f : first_files(data / "ravdess", 1)) files.push_back(f);
  for (const auto& f : files) {
    const std::string bytes = read_file(f.string());
    put(out, f.filename().string(), bytes);
    put(out, "head_" + f.filename().string(), bytes.substr(0, 4096));  // a cut copy: damaged on purpose
  }
}

void config_seeds(const fs::path& out, const fs::path& configs) {
  for (const auto& e : fs::directory_iterator(configs))
    if (e.path().extension() == ".yaml") put(out, e.path().filename().string(), read_file(e.path().string()));
  put(out, "override.yaml", "#set model.layers.1.units=8\n" + read_file((configs / "tess_cnn1d_mfcc.yaml").string()));
}

std::string model_seed() {
  Rng rng(3);
  nn::Sequential model({{"dense", {{"units", "8"}, {"activation", "relu"}}}, {"dense", {{"units", "4"}}}},
                       nn::Shape{80}, rng, "pooled_mlp");
  model.labels = {"angry", "happy", "neutral", "sad"};
  experiments::ModelInput input;  // 20 MFCCs and 20 log-mel bands, mean and deviation over time: 80 values
  dsp::FeatureSpec mfcc, mel;
  mel.kind = ser::dsp::FeatureKind::mel_db;
  mel.mel.n_mels = 20;
  input.sets = {mfcc, mel};
  input.layout = ser::experiments::Layout::pooled;
  input.scaling = ser::experiments::Scaling::standardize;
  input.mean.assign(80, 0.5);
  input.scale.assign(80, 2.0);
  model.feature_settings = input.to_text();
  return nn::serialize_model(model);
}

std::string checkpoint_seed() {
  Rng rng(1);
  nn::Sequential model(fuzz::tiny_specs(), fuzz::tiny_input(), rng, "tiny");
  nn::Adam adam(model.parameter_tensors(), {});
  experiments::TrainingState s;
  s.progress.epoch = 2;
  s.model = nn::serialize_model(model);
  s.progress.history = "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds\n1,1,0.5,nan,nan,0.001,0.1\n";
  for (auto* v : adam.state()) s.optimizer.push_back(*v);
  s.lr = 0.001f;
  s.shuffle = Rng(2).state();
  s.dropout = Rng(3).state();
  s.progress.order.resize(fuzz::kTinyTrainRows);
  std::iota(s.progress.order.begin(), s.progress.order.end(), size_t{0});
  return experiments::encode_checkpoint({fuzz::kTinyConfig, fuzz::kTinyData}, s);
}

void npy_seeds(const fs::path& out, const fs::path& reference) {
  const fs::path tmp = out / "tmp.npy";
  fs::create_directories(out);
  write_npy(tmp.string(), {3, 4}, std::vector<float>(12, 1.5f), false);
  fs::rename(tmp, out / "f32_3x4.npy");
  write_npy(tmp.string(), {5}, std::vector<double>(5, -2.0), false);
  fs::rename(tmp, out / "f64_5.npy");
  // Reference values as the librosa generator wrote them (numpy's own writer).
  std::vector<fs::path> small;
  if (fs::exists(reference))
    for (const auto& e : fs::recursive_directory_iterator(reference))
      if (e.path().extension() == ".npy" && e.file_size() < 16384) small.push_back(e.path());
  std::sort(small.begin(), small.end());
  small.resize(std::min<size_t>(small.size(), 4));
  for (const auto& f : small) put(out, "ref_" + f.filename().string(), read_file(f.string()));
}

void face_seeds(const fs::path& csv_out, const fs::path& image_out, const fs::path& data) {
  const auto faces = datasets::load_fer2013(data.string());
  std::string csv = "emotion,pixels,Usage\n";
  for (size_t i = 0; i < 3 && i < faces.corpus.samples.size(); ++i) {
    csv += std::to_string(i) + ",";
    for (int k = 0; k < 48 * 48; ++k) {
      if (k) csv += ' ';
      csv += std::to_string(faces.pixels[i * 48 * 48 + k]);
    }
    csv += i == 2 ? ",PrivateTest\r\n" : ",Training\n";
  }
  csv += "9,1 2 3,Training\ngarbage\n";
  put(csv_out, "three_faces.csv", csv);
  for (const auto& f : first_files(data / "train", 3)) put(image_out, f.filename().string(), read_file(f.string()));
}
// ser's exports of small models that between them use every layer the importer reads.
void onnx_seeds(const fs::path& out) {
  using nn::LayerSpec;
  const std::vector<std::pair<std::vector<LayerSpec>, nn::Shape>> models = {
      {{{"conv1d", {{"filters", "3"}, {"kernel", "3"}, {"padding", "same"}, {"activation", "relu"}}},
        {"maxpool1d", {{"pool", "2"}}}, {"batchnorm"}, {"flatten"}, {"dense", {{"units", "2"}, {"activation", "softmax"}}}},
       {1, 16}},
      {{{"conv2d", {{"filters", "2"}, {"kernel", "3"}, {"padding", "1"}, {"name", "c"}}}, {"add", {{"from", "c"}}},
        {"avgpool2d", {{"pool", "2"}}}, {"to_sequence"}, {"gru", {{"units", "3"}, {"return_sequences", "true"}}},
        {"attention_pool", {{"units", "2"}}}, {"dense", {{"units", "2"}}}},
       {1, 6, 6}},
      {{{"lstm", {{"units", "3"}, {"bidirectional", "true"}, {"return_sequences", "true"}}}, {"stats_pool"},
        {"dense", {{"units", "2"}, {"activation", "tanh"}}}},
       {5, 4}},
      {{{"conv2d", {{"filters", "2"}, {"kernel", "2"}}}, {"global_avg_pool"}, {"reshape", {{"shape", "2"}}},
        {"dropout"}, {"sigmoid"}},
       {1, 4, 4}}};
  int k = 0;
  for (const auto& [specs, shape] : models) {
    Rng rng(static_cast<uint64_t>(++k));
    nn::Sequential model(specs, shape, rng, "seed");
    put(out, "model" + std::to_string(k) + ".onnx", nn::export_onnx(model, {"seed", {{"ser.labels", "[\"a\",\"b\"]"}}}));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: fuzz_seeds OUT DATA_DIR REFERENCE_DIR CONFIG_DIR\n");
    return 2;
  }
  const fs::path out(argv[1]), data(argv[2]), reference(argv[3]), configs(argv[4]);
  audio_seeds(out / "audio", data);
  config_seeds(out / "config", configs);
  put(out / "model_file", "pooled_mlp.sermodel", model_seed());
  put(out / "checkpoint", "tiny.ckpt", checkpoint_seed());
  onnx_seeds(out / "onnx");
  npy_seeds(out / "npy", reference / "librosa");
  face_seeds(out / "fer_csv", out / "image", data / "fer2013_small");
  std::printf("seed corpora written to %s\n", out.c_str());
  return 0;
}
