// A degraded run never reports success, and a run folder holds one run:
// training that reaches NaN stops naming the epoch and batch; a cache that
// cannot be written stops the run; `ser train` never writes into another
// run (nor two processes into one folder); corpus folders with loops,
// broken links and FIFOs are read around them; killed runs leave no
// temporary files behind. Each case was found by the issue-14 review.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "common/text.hpp"
#include "datasets/audio_corpora.hpp"
#include "datasets/fer2013.hpp"
#include "experiments/config.hpp"
#include "experiments/prepared_data.hpp"
#include "experiments/runner.hpp"
#include "support/paths.hpp"
#include "support/tone_corpus.hpp"

using namespace ser::experiments;
namespace fs = std::filesystem;
using ser::test::run_ser;

namespace {
struct Tones {
  fs::path dir, corpus, config;
  explicit Tones(const std::string& name, const std::string& yaml_extra = "")
      : dir(ser::test::fresh_dir(name)), corpus(dir / "corpus"), config(dir / "tones.yaml") {
    ser::test::make_tone_corpus(corpus);
    std::ofstream(config) << ser::test::tone_config(corpus) << yaml_extra;
  }
  ~Tones() { fs::remove_all(dir); }
  std::vector<std::string> train(const std::string& out) const {
    return {"train", config.string(), "--out", (dir / out).string(), "--cache", (dir / "cache").string()};
  }
};

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  s.replace(s.find(from), from.size(), to);
  return s;
}
}  // namespace

TEST_CASE("training that reaches NaN stops with an error naming the epoch and batch") {
  Tones t("safety_nan");
  // Unscaled STFT magnitudes, four layers and SGD at lr 10 with momentum: the weights overflow.
  std::string yaml = ser::read_file(t.config.string());
  yaml = replaced(yaml, "  kind: mfcc\n", "  kind: stft\n  scaling: none\n");
  yaml = replaced(yaml, "    - {type: dense, units: 16, activation: relu}\n",
                  "    - {type: dense, units: 64, activation: relu}\n    - {type: dense, units: 64, activation: relu}\n"
                  "    - {type: dense, units: 64, activation: relu}\n");
  yaml += "  optimizer: {name: sgd, lr: 10, momentum: 0.9}\n";
  std::ofstream(t.config) << yaml;
  const auto r = run_ser(t.train("run"));
  CHECK(r.status == 1);
  CHECK_MESSAGE(r.output.find("ser train: error: epoch 2, batch ") != std::string::npos, r.output);
  CHECK(r.output.find(" of 4: the training loss is NaN; the run is stopped. Lower training.optimizer.lr") !=
        std::string::npos);
  CHECK_FALSE(fs::exists(t.dir / "run" / "metrics.json"));  // nothing that looks like a result
  CHECK_FALSE(fs::exists(t.dir / "run" / "model.sermodel"));
}

TEST_CASE("a feature cache that cannot be written (a full disk) stops the run instead of thinning the data") {
  // Found: 44 of 168 files trained on, exit status 0.
  Tones t("safety_cache");
  const std::string yaml = replaced(ser::read_file(t.config.string()), "  kind: mfcc\n", "  kind: stft\n");
  std::ofstream(t.config) << yaml;
  // Every file the process writes is capped at 4 KB: the run record fits, a cache entry (11 KB) does not.
  const auto r = run_ser(t.train("run"), 4096);
  CHECK(r.status == 1);
  CHECK_MESSAGE(r.output.find("cannot write the feature cache in '") != std::string::npos, r.output);
  CHECK(r.output.find("File too large") != std::string::npos);
  CHECK(r.output.find("give another cache folder (--cache); nothing was trained") != std::string::npos);
  CHECK_FALSE(fs::exists(t.dir / "run" / "metrics.json"));
}

TEST_CASE("ser train never writes into a folder that holds a run, unless --force says to replace it") {
  Tones t("safety_out");
  REQUIRE(run_ser(t.train("run")).status == 0);
  const std::string metrics = ser::read_file((t.dir / "run" / "metrics.json").string());
  const auto again = run_ser(t.train("run"));
  CHECK(again.status == 1);
  CHECK_MESSAGE(again.output.find("run folder '" + (t.dir / "run").string() +
                                  "' already holds a run; continue it with `ser resume") != std::string::npos,
                again.output);
  CHECK(again.output.find("or --force to replace what it holds") != std::string::npos);
  CHECK(ser::read_file((t.dir / "run" / "metrics.json").string()) == metrics);  // untouched
  std::ofstream(t.dir / "run" / "stale.txt") << "from the old run";
  auto forced = t.train("run");
  forced.push_back("--force");
  CHECK(run_ser(forced).status == 0);
  CHECK_FALSE(fs::exists(t.dir / "run" / "stale.txt"));
  CHECK(ser::read_file((t.dir / "run" / "metrics.json").string()) == metrics);  // same config, same bytes
  // A folder with other files in it is not a run folder either.
  fs::create_directories(t.dir / "notes");
  std::ofstream(t.dir / "notes" / "todo.txt") << "x";
  CHECK(run_ser(t.train("notes")).output.find("is not empty; give another --out") != std::string::npos);
}

TEST_CASE("two processes cannot write one run folder at once") {
  Tones t("safety_lock");
  const RunFolder held((t.dir / "run").string(), RunStart::fresh);  // as a running `ser train` holds it
  const auto r = run_ser(t.train("run"));
  CHECK(r.status == 1);
  CHECK_MESSAGE(r.output.find("is in use by another ser process (pid " + std::to_string(::getpid()) + ")") !=
                    std::string::npos,
                r.output);
  const auto resumed = run_ser({"resume", (t.dir / "run").string()});
  CHECK(resumed.status == 1);
}

TEST_CASE("temporary files of killed writers are cleaned when a run starts or resumes") {
  Tones t("safety_litter");
  REQUIRE(run_ser(t.train("run")).status == 0);
  // Left by a process that no longer exists (pids never reach 999999999), named as
  // today and as before hosts were named; by this one (alive: kept); and by another
  // machine writing into a shared folder (its processes cannot be asked: kept).
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  const std::string dead = std::string("metrics.json.tmp.") + host + ".999999999";
  std::ofstream(t.dir / "run" / dead) << "half";
  std::ofstream(t.dir / "run" / "history.csv.tmp.999999999") << "half";
  const std::string mine = std::string("history.csv.tmp.") + host + "." + std::to_string(::getpid());
  std::ofstream(t.dir / "run" / mine) << "in progress";
  const std::string other_host = "model.sermodel.tmp.some-other-node.999999999";
  std::ofstream(t.dir / "run" / other_host) << "in progress elsewhere";
  const auto r = run_ser({"resume", (t.dir / "run").string(), "--cache", (t.dir / "cache").string()});
  CHECK_MESSAGE(r.status == 0, r.output);
  CHECK_FALSE(fs::exists(t.dir / "run" / dead));
  CHECK_FALSE(fs::exists(t.dir / "run" / "history.csv.tmp.999999999"));
  CHECK(fs::exists(t.dir / "run" / mine));
  CHECK(fs::exists(t.dir / "run" / other_host));
}

TEST_CASE("a corpus folder with a link loop, a broken link and a FIFO is read around them, each reported") {
  // Found: one symlink loop ended the whole run.
  const fs::path dir = ser::test::fresh_dir("safety_walk");
  ser::test::make_tone_corpus(dir);
  fs::create_symlink("loop.wav", dir / "low" / "loop.wav");        // a link to itself: ELOOP
  fs::create_symlink("/nonexistent/x.wav", dir / "mid" / "gone.wav");  // broken
  fs::create_directory_symlink("..", dir / "high" / "up");         // a folder loop
  REQUIRE(::mkfifo((dir / "mid" / "pipe.wav").c_str(), 0600) == 0);
  const auto c = ser::datasets::load_labelled_folders(dir.string());
  CHECK(c.samples.size() == 36);
  auto reason = [&](const std::string& name) {
    for (const auto& s : c.skipped)
      if (s.path.find(name) != std::string::npos) return s.reason;
    return std::string("not reported");
  };
  CHECK(reason("loop.wav").find("cannot read: Too many levels of symbolic links") == 0);
  CHECK(reason("gone.wav").find("cannot read: No such file or directory") == 0);
  CHECK(reason("pipe.wav") == "not a regular file (a FIFO or a device?)");
  CHECK(reason("up") == "folder already read by another path (a symbolic link loop?)");
  fs::remove_all(dir);
}

TEST_CASE("FER2013: a folder holding fer2013.csv is read as the CSV; class folders may be links") {
  const std::string small = ser::test::data_dir() + "/fer2013_small";
  const fs::path dir = ser::test::fresh_dir("safety_fer");
  // Found: a folder with the original CSV loaded 0 files.
  {
    const auto faces = ser::datasets::load_fer2013(small);
    std::ofstream csv(dir / "fer2013.csv");
    csv << "emotion,pixels,Usage\n";
    for (size_t i = 0; i < 2; ++i) {
      csv << "3,";
      for (int k = 0; k < 48 * 48; ++k) csv << (k ? " " : "") << int(faces.pixels[i * 48 * 48 + k]);
      csv << ",Training\n";
    }
  }
  const auto from_csv = ser::datasets::load_fer2013(dir.string());
  CHECK(from_csv.corpus.samples.size() == 2);
  CHECK(from_csv.corpus.samples[0].path == (dir / "fer2013.csv").string() + ":2");
  // Class folders that are symbolic links are followed.
  fs::create_directories(dir / "linked" / "train");
  fs::create_directory_symlink(fs::absolute(small + "/train/disgust"), dir / "linked" / "train" / "disgust");
  fs::create_directory_symlink(fs::absolute(small + "/test"), dir / "linked" / "test");
  const auto linked = ser::datasets::load_fer2013((dir / "linked").string());
  int train = 0, test = 0;
  for (const auto& s : linked.corpus.samples) (s.partition == "train" ? train : test) += 1;
  CHECK(train == 436);
  CHECK(test == 3589);
  CHECK(linked.corpus.skipped.empty());
  fs::remove_all(dir);
}

TEST_CASE("FER2013's partition split honours data.split.validation (carved from training, test untouched)") {
  // Found: validation was ignored for the partition split.
  const fs::path dir = ser::test::fresh_dir("safety_partition");
  std::ofstream(dir / "fer.yaml") << "name: fer\ndata:\n  corpus: fer2013\n  root: " << ser::test::data_dir()
                                  << "/fer2013_small\n  split: {kind: partition, validation: 0.1}\n"
                                     "model:\n  layers:\n    - {type: flatten}\n    - {type: dense, units: 7}\n";
  const auto c = load_config((dir / "fer.yaml").string());
  const auto faces = ser::datasets::load_fer2013(c.data.roots.at("fer2013"));
  const auto split = split_for(c, faces.corpus);
  CHECK(split.test.size() == 3589);
  CHECK(split.validation.size() >= 400);
  CHECK(split.validation.size() <= 410);
  CHECK(split.train.size() + split.validation.size() == 4036);
  for (size_t i : split.validation) CHECK(faces.corpus.samples[i].partition == "train");
  // data.split.seed: runs of other seeds share one split, so an ensemble of
  // them is chosen on a validation part that none of them trained on.
  auto validation_of = [&](const std::vector<std::string>& sets) {
    return split_for(load_config((dir / "fer.yaml").string(), sets), faces.corpus).validation;
  };
  CHECK(validation_of({"seed=1"}) != validation_of({"seed=2"}));
  CHECK(validation_of({"seed=1", "data.split.seed=7"}) == validation_of({"seed=2", "data.split.seed=7"}));
  CHECK(validation_of({"seed=7"}) == validation_of({"seed=2", "data.split.seed=7"}));
  // Without a validation share, the CSV's PrivateTest rows would be the validation part (none in folders).
  const std::string without = replaced(ser::read_file((dir / "fer.yaml").string()), ", validation: 0.1", "");
  std::ofstream(dir / "fer.yaml") << without;
  CHECK(split_for(load_config((dir / "fer.yaml").string()), faces.corpus).validation.empty());
  fs::remove_all(dir);
}

TEST_CASE("a fixed speaker split with validation speakers: each speaker on one side; unknown and doubled speakers refused") {
  ser::datasets::Corpus corpus;
  corpus.labels = {"a", "b"};
  for (const char* who : {"01", "02", "03", "04"})
    for (int k = 0; k < 3; ++k) {
      ser::datasets::Sample s;
      s.path = std::string("/x/") + who + "_" + std::to_string(k) + ".wav";
      s.corpus = "ravdess";
      s.speaker = who;
      s.label = k % 2 ? "a" : "b";
      corpus.samples.push_back(s);
    }
  const fs::path dir = ser::test::fresh_dir("safety_speakers");
  const auto config = [&](const std::string& split) {
    std::ofstream(dir / "s.yaml") << "name: s\ndata:\n  corpus: ravdess\n  root: " << ser::test::data_dir()
                                  << "/ravdess\n  split: " << split
                                  << "\nfeatures: {kind: mfcc, frames: 10}\nmodel:\n  layers:\n    - {type: flatten}\n    - {type: dense, units: 2}\n";
    return load_config((dir / "s.yaml").string());
  };
  const auto split = split_for(config(R"({test_speakers: ["04"], validation_speakers: ["03"]})"), corpus);
  CHECK(split.train == std::vector<size_t>{0, 1, 2, 3, 4, 5});
  CHECK(split.validation == std::vector<size_t>{6, 7, 8});
  CHECK(split.test == std::vector<size_t>{9, 10, 11});
  CHECK_THROWS_WITH(split_for(config(R"({test_speakers: ["4"]})"), corpus),
                    doctest::Contains("names speaker '4', who has no file here (speakers: 01, 02, 03, 04)"));
  CHECK_THROWS_WITH(config(R"({test_speakers: ["04"], validation_speakers: ["04"]})"),
                    doctest::Contains("speaker '04' is also a test speaker"));
  fs::remove_all(dir);
}

TEST_CASE("data.song chooses RAVDESS's sung files") {
  // Found: the key was accepted and never read.
  const fs::path dir = ser::test::fresh_dir("safety_song");
  const std::vector<float> tone(16000, 0.2f);
  fs::create_directories(dir / "ravdess" / "Actor_01");
  for (const char* name : {"03-01-03-01-01-01-01", "03-01-04-01-01-01-01", "03-02-03-01-01-01-01"})
    ser::dsp::save_wav((dir / "ravdess" / "Actor_01" / (std::string(name) + ".wav")).string(), tone, 16000);
  const std::string base = "name: r\ndata:\n  corpus: ravdess\n  root: " + (dir / "ravdess").string() +
                           "\n  SONG\nfeatures: {kind: mfcc, layout: pooled}\nmodel:\n  layers:\n"
                           "    - {type: dense, units: 8}\n";
  for (const auto& [song, files] : {std::pair{"song: true", 3}, std::pair{"song: false", 2}}) {
    std::ofstream(dir / "r.yaml") << replaced(base, "SONG", song);
    std::ostringstream log;
    const auto corpus = load_audio_corpora(load_config((dir / "r.yaml").string()), log);
    CHECK(corpus.samples.size() == static_cast<size_t>(files));
  }
  fs::remove_all(dir);
}

TEST_CASE("more folds than files is refused naming the setting, before any fold trains") {
  Tones t("safety_folds", "");
  const std::string yaml = replaced(ser::read_file(t.config.string()), "{kind: random, test: 0.25}", "{kind: kfold, folds: 50}");
  std::ofstream(t.config) << yaml;
  const auto r = run_ser(t.train("run"));
  CHECK(r.status == 2);
  CHECK_MESSAGE(r.output.find("tones.yaml: data.split.folds: 50 folds need at least 50 files; the data has 36") !=
                    std::string::npos,
                r.output);
  CHECK_FALSE(fs::exists(t.dir / "run" / "fold_01"));
}
