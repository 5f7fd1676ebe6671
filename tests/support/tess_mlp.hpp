#pragma once
// The small experiment several end-to-end tests train (the runner, resume,
// reports, predict and eval): MFCCs of TESS into a dense network, as YAML.
// Each test says only what it varies.

#include <string>

namespace ser::test {

struct TessMlp {
  std::string name = "tess_mlp_pooled";
  int seed = 3, epochs = 3, n_mfcc = 40, hidden = 64;
  std::string split = "{kind: random, validation: 0.15, test: 0.25}";
  std::string dropout = "";  // a rate, or empty for no dropout layer
  int flat_frames = 0;  // 0: MFCCs pooled over time; else that many frames, flattened
  std::string corpus = "tess";  // or ravdess: the same network on the other corpus
  int classes = 7;              // RAVDESS has 8
};

inline std::string tess_mlp_yaml(const TessMlp& m) {
  const std::string layout =
      m.flat_frames ? "  layout: flat\n  frames: " + std::to_string(m.flat_frames) + "\n" : "  layout: pooled\n";
  return "name: " + m.name + "\nseed: " + std::to_string(m.seed) +
         "\nthreads: 2\ndata:\n  corpus: " + m.corpus + "\n  labels: emotion\n  split: " + m.split +
         "\nfeatures:\n  kind: mfcc\n  sample_rate: 22050\n  n_mfcc: " + std::to_string(m.n_mfcc) + "\n" + layout +
         "model:\n  layers:\n" + (m.flat_frames ? "    - {type: flatten}\n" : "") +
         "    - {type: dense, units: " + std::to_string(m.hidden) + ", activation: relu}\n" +
         (m.dropout.empty() ? "" : "    - {type: dropout, rate: " + m.dropout + "}\n") +
         "    - {type: dense, units: " + std::to_string(m.classes) + "}\ntraining:\n  epochs: " + std::to_string(m.epochs) + "\n  batch_size: 32\n";
}

}  // namespace ser::test
