#pragma once
// Layer lists of the published models the tests build.

#include <vector>

#include "nn/layers/layer_spec.hpp"

namespace ser::test {

// The TESS 1D CNN (Conv1D 8/16/32/64, kernels 13/11/9/7, MaxPool 3, Dense 256/128/14)
// on a [1, 2400] input: 481,518 parameters.
inline std::vector<nn::LayerSpec> tess_cnn1d_specs(bool with_dropout = false) {
  std::vector<nn::LayerSpec> s = {{"conv1d", {{"filters", "8"}, {"kernel", "13"}, {"activation", "relu"}}},
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
  if (with_dropout) s.insert(s.begin() + 10, nn::LayerSpec("dropout", {{"rate", "0.3"}}));
  return s;
}

// The FER2013 2D CNN on [1, 48, 48]: 2,345,607 parameters.
inline std::vector<nn::LayerSpec> fer_cnn_specs() {
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

}  // namespace ser::test
