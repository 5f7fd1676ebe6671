// Checkpoints are untrusted input: every way a damaged, crafted or stale
// checkpoint was found to hang, crash or silently change `ser resume` is
// refused with a message naming the file and what is wrong, and a good
// checkpoint still resumes to the uninterrupted run's metrics.
#include <doctest/doctest.h>

#include <functional>
#include <sstream>

#include "common/rng.hpp"
#include "common/text.hpp"
#include "experiments/checkpoint.hpp"
#include "experiments/config.hpp"
#include "experiments/runner.hpp"
#include "nn/model_file.hpp"
#include "support/tone_corpus.hpp"

using namespace ser::experiments;
namespace fs = std::filesystem;
using fs::path;

namespace {
// A finished 3-epoch run of the tone corpus (its checkpoint is after epoch 3)
// and the config that made it.
struct Finished {
  path dir;
  path corpus = dir / "corpus", run = dir / "run", cache = dir / "cache";
  explicit Finished(int units = 16) : dir(ser::test::fresh_dir("checkpoint_" + std::to_string(units))) {
    ser::test::make_tone_corpus(corpus);
    write_config(units);
    std::ostringstream log;
    train_experiment(load_config((dir / "tones.yaml").string()), run.string(), log, cache.string());
  }
  ~Finished() { fs::remove_all(dir); }
  void write_config(int units) const {
    std::string text = ser::test::tone_config(corpus);
    text.replace(text.find("units: 16"), 9, "units: " + std::to_string(units));
    std::ofstream(dir / "tones.yaml") << text;
  }
  std::string checkpoint() const { return (run / "checkpoint.bin").string(); }
  // Rewrites the checkpoint with `change` applied to its state (the key kept).
  void alter(const std::function<void(TrainingState&)>& change) const {
    auto [key, state] = read_checkpoint(checkpoint());
    change(state);
    std::ofstream(checkpoint(), std::ios::binary) << encode_checkpoint(key, state);
  }
  std::string resume_error() const {
    std::ostringstream log;
    try {
      resume_experiment(run.string(), log, "", cache.string());
    } catch (const std::exception& e) {
      return e.what();
    }
    return "";
  }
};
}  // namespace

TEST_CASE("a good checkpoint resumes; its run ends with the same metrics") {
  Finished f;
  const std::string metrics = ser::read_file((f.run / "metrics.json").string());
  CHECK(f.resume_error().empty());
  CHECK(ser::read_file((f.run / "metrics.json").string()) == metrics);
}

TEST_CASE("damaged training state is refused before training starts, naming the field") {
  Finished f;
  struct Case {
    const char* what;
    std::function<void(TrainingState&)> change;
    const char* expect;
  };
  const std::vector<Case> cases = {
      // Found hanging `ser resume` for ever: xoshiro's all-zero state draws only zeros.
      {"zeroed RNG", [](TrainingState& s) { s.shuffle = {}; }, "shuffle generator: an all-zero generator state"},
      {"zeroed dropout RNG", [](TrainingState& s) { s.dropout.s[0] = s.dropout.s[1] = s.dropout.s[2] = s.dropout.s[3] = 0; },
       "dropout generator: an all-zero generator state"},
      // Found training for ever: an epoch of -1e6 or 2^31-1.
      {"negative epoch", [](TrainingState& s) { s.progress.epoch = -1000000; }, "epoch 4293967296 is out of range"},
      {"epoch 2^31-1", [](TrainingState& s) { s.progress.epoch = 2147483647; }, "epoch 2147483647 is out of range"},
      // Found segfaulting: an order index past the data.
      {"order index out of range", [](TrainingState& s) { s.progress.order[0] = 1u << 30; },
       "is not a permutation of this run's"},
      {"order with a repeat", [](TrainingState& s) { s.progress.order[1] = s.progress.order[0]; }, "is not a permutation"},
      // Found silently changing results.
      {"NaN learning rate", [](TrainingState& s) { s.lr = NAN; }, "learning rate nan is out of range (not in [0, 10])"},
      {"short optimizer state", [](TrainingState& s) { s.optimizer.back().pop_back(); },
       "optimizer state vector"},
      {"missing optimizer vector", [](TrainingState& s) { s.optimizer.pop_back(); }, "optimizer state vectors"},
      {"infinite moment", [](TrainingState& s) { s.optimizer[1][0] = INFINITY; }, "not finite"},
      {"best accuracy 7", [](TrainingState& s) { s.progress.best_val = 7; }, "best validation accuracy 7"},
      {"history of other epochs", [](TrainingState& s) { s.progress.history = "garbage"; }, "history does not belong"},
  };
  const std::string good = ser::read_file(f.checkpoint());
  for (const Case& c : cases) {
    CAPTURE(c.what);
    std::ofstream(f.checkpoint(), std::ios::binary) << good;
    f.alter(c.change);
    const std::string error = f.resume_error();
    CHECK(error.find("checkpoint '" + f.checkpoint() + "'") != std::string::npos);
    CHECK_MESSAGE(error.find(c.expect) != std::string::npos, error);
  }
}

TEST_CASE("200 random bit flips: every one refused by the checksum, none crashes or trains") {
  Finished f;
  const std::string good = ser::read_file(f.checkpoint());
  ser::Rng rng(9);
  int refused = 0;
  for (int i = 0; i < 200; ++i) {
    std::string bad = good;
    const size_t at = rng.below(bad.size());
    bad[at] = static_cast<char>(bad[at] ^ (1 << rng.below(8)));
    std::ofstream(f.checkpoint(), std::ios::binary) << bad;
    const std::string error = f.resume_error();
    refused += error.find("checkpoint '") != std::string::npos;
    if (error.find("checkpoint '") == std::string::npos) FAIL_CHECK("byte " << at << ": " << error);
  }
  CHECK(refused == 200);
}

TEST_CASE("truncated, empty and foreign checkpoints, and the old unchecked format, are refused") {
  Finished f;
  const std::string good = ser::read_file(f.checkpoint());
  for (size_t len : {size_t{0}, size_t{7}, size_t{30}, good.size() / 2, good.size() - 1}) {
    std::ofstream(f.checkpoint(), std::ios::binary) << good.substr(0, len);
    const std::string error = f.resume_error();
    CAPTURE(len);
    CHECK((error.find("truncated") != std::string::npos || error.find("not a ser checkpoint") != std::string::npos));
  }
  std::ofstream(f.checkpoint(), std::ios::binary) << "SERCKPT1" << std::string(100, '\0');
  CHECK(f.resume_error().find("written by an older ser") != std::string::npos);
}

TEST_CASE("a checkpoint of a model with other layer sizes is refused, naming the tensor") {
  // Found overflowing the heap: the checkpoint of a 16-unit model met a 32-unit config.
  Finished small(16);
  Finished big(32);
  const TrainingState theirs = read_checkpoint(small.checkpoint()).second;
  big.alter([&](TrainingState& s) { s.model = theirs.model; });
  const std::string error = big.resume_error();
  CHECK_MESSAGE(error.find("does not fit this run's config: tensor dense_1.weight [16, 26] in the checkpoint, "
                           "dense_1.weight [32, 26] in the config") != std::string::npos,
                error);
}

TEST_CASE("a checkpoint written under another config is refused") {
  Finished f;
  f.write_config(24);  // the run folder's own config, edited after the run started
  fs::copy_file(f.dir / "tones.yaml", f.run / "config.yaml", fs::copy_options::overwrite_existing);
  CHECK(f.resume_error().find("written by another config") != std::string::npos);
}

TEST_CASE("files added to the data folder before resuming are refused, not trained on") {
  // Found training on other files and letting test files into training.
  Finished f;
  fs::copy_file(f.corpus / "low" / "s1_1.wav", f.corpus / "low" / "s3_1.wav");
  const std::string error = f.resume_error();
  CHECK_MESSAGE(error.find("was written for other data") != std::string::npos, error);
  fs::remove(f.corpus / "low" / "s3_1.wav");
  CHECK(f.resume_error().empty());  // restored: resumes again
}

TEST_CASE("the data fingerprint does not depend on where the data set lives") {
  ser::datasets::Corpus a, b;
  a.labels = b.labels = {"x", "y"};
  for (const char* label : {"x", "y"}) {
    ser::datasets::Sample s;
    s.path = std::string("/data/one/") + label + "/s1.wav";
    s.corpus = "folders";
    s.label = label;
    a.samples.push_back(s);
  }
  b.samples = a.samples;
  for (auto& s : b.samples) s.path.replace(0, 9, "/mnt/copy");
  const ser::datasets::Split split{{0}, {}, {1}};
  CHECK(data_fingerprint(a, split, {{"folders", "/data/one"}}) == data_fingerprint(b, split, {{"folders", "/mnt/copy"}}));
  const ser::datasets::Split swapped{{1}, {}, {0}};
  CHECK(data_fingerprint(a, split, {{"folders", "/data/one"}}) !=
        data_fingerprint(a, swapped, {{"folders", "/data/one"}}));
}
