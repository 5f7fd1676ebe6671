#pragma once
// A small audio model trained on the shared TESS (or RAVDESS) files for the
// tests that need one to listen with (test_timeline, test_listen): forty
// MFCCs of 120 frames (2.8 s, the published TESS CNN's input) flattened
// into a dense network, six epochs (ten on RAVDESS), seconds to train.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "experiments/config.hpp"
#include "experiments/runner.hpp"
#include "support/paths.hpp"
#include "support/tess_mlp.hpp"

namespace ser::test {

// Trains into dir/run (features cached in dir/cache); returns the run directory.
inline std::string train_tess_flat_mlp(const std::filesystem::path& dir, const std::string& corpus = "tess",
                                       const std::string& run = "run") {
  std::ofstream(dir / (run + ".yaml")) << tess_mlp_yaml(
      {.name = corpus + "_mlp_flat", .epochs = corpus == "tess" ? 6 : 10, .flat_frames = 120, .corpus = corpus,
       .classes = corpus == "ravdess" ? 8 : 7});
  std::ostringstream log;
  experiments::train_experiment(experiments::load_config((dir / (run + ".yaml")).string(), {}, data_dir()),
                                (dir / run).string(), log, (dir / "cache").string());
  return (dir / run).string();
}

}  // namespace ser::test
