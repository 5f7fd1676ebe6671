#pragma once
// The published architectures as layer lists, for the tests (parameter
// counts, PyTorch comparisons) and the benchmarks (train_step/<model>).
// Above nn/ (it only uses nn's layer specs) and outside it: the tensor
// library does not know which models exist.
// The experiment configs in configs/ describe the same models in YAML.

#include <tuple>
#include <utility>
#include <vector>

#include "nn/layers/layer_spec.hpp"

namespace ser::zoo {

using nn::LayerSpec;

// The TESS 1D CNN (Conv1D 8/16/32/64, kernels 13/11/9/7, MaxPool 3, Dense 256/128/14)
// on a [1, 2400] input: 481,518 parameters. With dropout, the published layer
// list: Dropout 0.3 after each of the four pools and each hidden Dense (its
// Keras summary's dropout to dropout_5).
inline std::vector<LayerSpec> tess_cnn1d_specs(bool with_dropout = false) {
  std::vector<LayerSpec> s = {{"conv1d", {{"filters", "8"}, {"kernel", "13"}, {"activation", "relu"}}},
                                  {"maxpool1d", {{"pool", "3"}}},
                                  {"conv1d", {{"filters", "16"}, {"kernel", "11"}, {"activation", "relu"}}},
                                  {"maxpool1d", {{"pool", "3"}}},
                                  {"conv1d", {{"filters", "32"}, {"kernel", "9"}, {"activation", "relu"}}},
                                  {"maxpool1d", {{"pool", "3"}}},
                                  {"conv1d", {{"filters", "64"}, {"kernel", "7"}, {"activation", "relu"}}},
                                  {"maxpool1d", {{"pool", "3"}}},
                                  {"flatten"},
                                  {"dense", {{"units", "256"}, {"activation", "relu"}}},
                                  {"dense", {{"units", "128"}, {"activation", "relu"}}},
                                  {"dense", {{"units", "14"}}}};
  if (!with_dropout) return s;
  std::vector<LayerSpec> published;
  for (size_t i = 0; i < s.size(); ++i) {
    published.push_back(s[i]);
    const bool hidden_dense = s[i].type() == "dense" && i + 1 < s.size();
    if (s[i].type() == "maxpool1d" || hidden_dense) published.push_back(LayerSpec("dropout", {{"rate", "0.3"}}));
  }
  return published;
}

// The FER2013 2D CNN on [1, 48, 48]: 2,345,607 parameters.
inline std::vector<LayerSpec> fer_cnn_specs() {
  return {{"conv2d", {{"filters", "32"}, {"kernel", "3"}, {"activation", "relu"}}},
          {"conv2d", {{"filters", "64"}, {"kernel", "3"}, {"activation", "relu"}}},
          {"maxpool2d", {{"pool", "2"}}},
          {"conv2d", {{"filters", "128"}, {"kernel", "3"}, {"activation", "relu"}}},
          {"maxpool2d", {{"pool", "2"}}},
          {"conv2d", {{"filters", "128"}, {"kernel", "3"}, {"activation", "relu"}}},
          {"maxpool2d", {{"pool", "2"}}},
          {"flatten"},
          {"dense", {{"units", "1024"}, {"activation", "relu"}}},
          {"dense", {{"units", "7"}}}};
}

// The batch-norm FER2013 CNN (configs/fer2013_cnn_bn.yaml) on [1, 48, 48]:
// Conv2D 64 (3x3), 128 (5x5), 512 (3x3), 512 (3x3) with same padding, each
// followed by BatchNorm, ReLU, MaxPool 2 and Dropout 0.25; Dense 256 and 512
// with BatchNorm, ReLU and Dropout 0.25; 4,478,727 parameters. The model of
// issue 17's headline run, so the benchmarks time its layers.
inline std::vector<LayerSpec> fer_cnn_bn_specs() {
  std::vector<LayerSpec> s;
  const std::pair<const char*, const char*> convs[] = {{"64", "3"}, {"128", "5"}, {"512", "3"}, {"512", "3"}};
  for (const auto& [filters, kernel] : convs) {
    s.push_back({"conv2d", {{"filters", filters}, {"kernel", kernel}, {"padding", "same"}}});
    s.push_back({"batchnorm"});
    s.push_back({"relu"});
    s.push_back({"maxpool2d", {{"pool", "2"}}});
    s.push_back({"dropout", {{"rate", "0.25"}}});
  }
  s.push_back({"flatten"});
  for (const char* units : {"256", "512"}) {
    s.push_back({"dense", {{"units", units}}});
    s.push_back({"batchnorm"});
    s.push_back({"relu"});
    s.push_back({"dropout", {{"rate", "0.25"}}});
  }
  s.push_back({"dense", {{"units", "7"}}});
  return s;
}

// The deepeshdm RAVDESS CNN on a [1, 128, 165] mel image: Conv2D 32/64/128
// with 5x5 kernels and same padding, MaxPool 2 stride 3, Dense 150/75/8; 845,107 parameters.
inline std::vector<LayerSpec> ravdess_mel_cnn_specs() {
  std::vector<LayerSpec> s;
  for (const char* f : {"32", "64", "128"}) {
    s.push_back({"conv2d", {{"filters", f}, {"kernel", "5"}, {"padding", "same"}, {"activation", "relu"}}});
    s.push_back({"maxpool2d", {{"pool", "2"}, {"stride", "3"}}});
  }
  s.push_back({"flatten"});
  s.push_back({"dense", {{"units", "150"}, {"activation", "relu"}}});
  s.push_back({"dense", {{"units", "75"}, {"activation", "relu"}}});
  s.push_back({"dense", {{"units", "8"}}});
  return s;
}

// The combined-corpora Kaggle CNN at its published width on the [1, 2376]
// ZCR + RMS + MFCC rows (configs/multi_zcr_rms_mfcc_cnn1d.yaml): Conv1D
// 512/512/256/256/128 (kernels 5, 5, 5, 3, 3, same padding, relu), each
// followed by BatchNorm and MaxPool (5, 5, 5, 5, 3; stride 2, same), Dropout
// 0.2 after the second, fourth and fifth pools, Dense 512 + BatchNorm, Dense 7.
inline std::vector<LayerSpec> kaggle_cnn1d_specs() {
  std::vector<LayerSpec> s;
  const std::tuple<const char*, const char*, const char*, bool> convs[] = {
      {"512", "5", "5", false}, {"512", "5", "5", true}, {"256", "5", "5", false}, {"256", "3", "5", true},
      {"128", "3", "3", true}};
  for (const auto& [filters, kernel, pool, dropout] : convs) {
    s.push_back({"conv1d", {{"filters", filters}, {"kernel", kernel}, {"padding", "same"}, {"activation", "relu"}}});
    s.push_back({"batchnorm"});
    s.push_back({"maxpool1d", {{"pool", pool}, {"stride", "2"}, {"padding", "same"}}});
    if (dropout) s.push_back({"dropout", {{"rate", "0.2"}}});
  }
  s.push_back({"flatten"});
  s.push_back({"dense", {{"units", "512"}, {"activation", "relu"}}});
  s.push_back({"batchnorm"});
  s.push_back({"dense", {{"units", "7"}}});
  return s;
}

// One LSTM of 128 units over [100 steps, 40 features], then Dense 7.
inline std::vector<LayerSpec> lstm_specs() { return {{"lstm", {{"units", "128"}}}, {"dense", {{"units", "7"}}}}; }

}  // namespace ser::zoo
