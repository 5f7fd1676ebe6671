// ser train end to end on TESS: a small pooled-MFCC MLP learns, the run
// directory holds what it should, and the same config, seed and threads give
// a byte-identical metrics.json (the second run reading the feature cache).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/sanitizer.hpp"
#include "common/text.hpp"
#include "experiments/checkpoint.hpp"
#include "experiments/config.hpp"
#include "experiments/runner.hpp"
#include "experiments/source_version.hpp"
#include "experiments/training_run.hpp"
#include "nn/model_file.hpp"
#include "support/main_requiring.hpp"
#include "support/paths.hpp"
#include "support/tess_mlp.hpp"

using namespace ser::experiments;
namespace fs = std::filesystem;
extern char** environ;

namespace {
std::string read(const fs::path& p) { return ser::read_file(p.string()); }

// An empty folder of this process's own under the temporary directory.
fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / (name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

const std::string kConfig = ser::test::tess_mlp_yaml({.seed = 7, .epochs = 4, .dropout = "0.3"});
}  // namespace

TEST_CASE("learning-rate warm-up and cosine decay: the rate of every epoch") {
  using ser::experiments::LrSchedule;
  ser::experiments::ScheduleConfig cosine;
  cosine.kind = ser::experiments::ScheduleKind::cosine;
  cosine.warmup = 2;
  LrSchedule s(cosine, 1.0, 10);
  std::vector<double> rates = {s.first()};
  for (int epoch = 1; epoch < 10; ++epoch) rates.push_back(s.after_epoch(epoch, NAN, static_cast<float>(rates.back())));
  // Epochs 1-2 warm up (1/2, 1); epochs 3-10 follow 0.5 (1 + cos(pi k / 8)), k = 0..7.
  CHECK(rates[0] == doctest::Approx(0.5));
  CHECK(rates[1] == doctest::Approx(1.0));
  for (int k = 0; k < 8; ++k) CHECK(rates[static_cast<size_t>(2 + k)] == doctest::Approx(0.5 * (1 + std::cos(M_PI * k / 8))));
  // Warm-up before step decay: the steps count from the warm-up's end.
  ser::experiments::ScheduleConfig step;
  step.kind = ser::experiments::ScheduleKind::step;
  step.step = 2;
  step.factor = 0.5;
  step.warmup = 3;
  LrSchedule t(step, 0.9, 20);
  CHECK(t.first() == doctest::Approx(0.3));
  CHECK(t.after_epoch(1, NAN, 0.3f) == doctest::Approx(0.6));
  CHECK(t.after_epoch(3, NAN, 0.9f) == doctest::Approx(0.9));   // epoch 4: the schedule's first
  CHECK(t.after_epoch(5, NAN, 0.9f) == doctest::Approx(0.45));  // epoch 6: one step of 2 done
}

TEST_CASE("train twice: it learns, the run directory is complete, metrics.json is identical") {
  const fs::path dir = fresh_dir("ser_test_runner");
  std::ofstream(dir / "mlp.yaml") << kConfig;
  const ExperimentConfig c = load_config((dir / "mlp.yaml").string(), {}, ser::test::data_dir());
  std::ostringstream log1, log2;
  const TrainResult a = train_experiment(c, (dir / "a").string(), log1, (dir / "cache").string());
  const TrainResult b = train_experiment(c, (dir / "b").string(), log2, (dir / "cache").string());
  std::printf("tess pooled MFCC-40 MLP, 4 epochs: test accuracy %.4f, macro-F1 %.4f\n", a.test_accuracy,
              a.test_macro_f1);
  CHECK(a.test_accuracy > 0.85);  // chance is 1/7
  for (const char* f : {"config.yaml", "run.json", "history.csv", "metrics.json", "timings.json", "model.sermodel"})
    CHECK_MESSAGE(fs::exists(dir / "a" / f), f);
  CHECK(read(dir / "a" / "metrics.json") == read(dir / "b" / "metrics.json"));
  CHECK(log2.str().find("1399 from the cache") != std::string::npos);  // the second run extracted nothing
  const std::string run = read(dir / "a" / "run.json");
  CHECK(run.find("\"seed\": 7") != std::string::npos);
  // The commit the build captured: 40 hex digits in a git checkout (CI builds one).
  const std::string commit = ser::experiments::source_version().git_commit;
  CHECK(run.find("\"git_commit\": \"" + commit + "\"") != std::string::npos);
  CHECK((commit.empty() || (commit.size() == 40 && commit.find_first_not_of("0123456789abcdef") == std::string::npos)));
  CHECK(run.find("\"threads\": 2") != std::string::npos);
  // The count the steps really ran on: every training step of 4 epochs on the 2 threads asked for.
  const auto record = nlohmann::json::parse(run);
  REQUIRE(record.contains("threads_used"));
  CHECK(record["threads_used"].size() == 1);
  CHECK(record["threads_used"].value("2", 0) > 0);
  const std::string history = read(dir / "a" / "history.csv");
  CHECK(std::count(history.begin(), history.end(), '\n') == 5);  // header + 4 epochs
  CHECK(read(dir / "a" / "metrics.json").find("\"validation\"") != std::string::npos);
  // The process's peak memory: above what the features alone take, below what this small run could need.
  const auto timings = nlohmann::json::parse(read(dir / "a" / "timings.json"));
  CHECK(timings.at("peak_resident_mib").get<double>() > 10);
  CHECK(timings.at("peak_resident_mib").get<double>() < 4096);
  fs::remove_all(dir);
}

TEST_CASE("kill -9 during training, then ser resume: exactly the metrics of an uninterrupted run") {
  const fs::path dir = fresh_dir("ser_test_resume");
  // With the per-epoch waveform augmentation and mixup: their draws must
  // come back the same after the kill too. Four epochs: killed after the
  // checkpoint of epoch 2, the resumed run still has new audio to draw (each
  // epoch re-augments every training file, 4.5 s under the sanitizers).
  std::ofstream(dir / "flat.yaml") << ser::test::tess_mlp_yaml(
      {.seed = 7, .epochs = 4, .dropout = "0.3", .flat_frames = 60})
                                   << "augmentation:\n  wave: {speed: 0.1, gain_db: 3, noise_probability: 0.3}\n"
                                      "  mixup: {alpha: 0.2}\n";
  const ExperimentConfig c = load_config((dir / "flat.yaml").string(), {}, ser::test::data_dir());
  std::ostringstream quiet;
  train_experiment(c, (dir / "whole").string(), quiet, (dir / "cache").string());  // also fills the cache

  const std::string ser_bin = SER_BINARY, run = (dir / "runs" / "killed").string();
  std::vector<std::string> args = {ser_bin,
                                   "train",
                                   (dir / "flat.yaml").string(),
                                   "--out",
                                   run,
                                   "--cache",
                                   (dir / "cache").string(),
                                   "--set",
                                   "data.root=" + ser::test::data_dir() + "/tess"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t io;
  posix_spawn_file_actions_init(&io);
  posix_spawn_file_actions_addopen(&io, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&io, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, ser_bin.c_str(), &io, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&io);
  // Kill once the checkpoint of epoch 2 or later exists.
  const fs::path checkpoint = fs::path(run) / "checkpoint.bin";
  int epoch = 0, status = 0;
  bool exited = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(300);
  while (std::chrono::steady_clock::now() < deadline && epoch < 2) {
    if (fs::exists(checkpoint)) epoch = read_checkpoint(checkpoint.string()).second.progress.epoch;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;  // finished (or failed) before we could kill it
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  REQUIRE(epoch >= 2);
  MESSAGE("killed after the checkpoint of epoch " << epoch);
  CHECK(WIFSIGNALED(status));  // killed mid-run, not finished
  std::ostringstream log;
  resume_experiment(run, log, ser::test::data_dir(), (dir / "cache").string());
  CHECK(read(fs::path(run) / "metrics.json") == read(dir / "whole" / "metrics.json"));
  fs::remove_all(dir);
}

TEST_CASE("augmentation.wave and mixup: new audio every epoch, the same metrics on 1 and 2 threads, and it still learns") {
#if SER_ADDRESS_SANITIZER
  // Three trainings for determinism and a score: the Release pass runs them;
  // the sanitizers see the same augmentation code in the kill -9 case above.
  MESSAGE("sanitizer build: left to the Release pass");
#else
  const fs::path dir = fresh_dir("ser_test_wave");
  std::ofstream(dir / "plain.yaml") << ser::test::tess_mlp_yaml({.seed = 5, .epochs = 2});
  std::ofstream(dir / "wave.yaml") << ser::test::tess_mlp_yaml({.seed = 5, .epochs = 2})
                                   << "augmentation:\n  wave: {speed: 0.1, gain_db: 6, noise_probability: 0.5, "
                                      "snr_min: 10, snr_max: 30}\n  mixup: {alpha: 0.2}\n";
  const std::string cache = (dir / "cache").string();
  std::ostringstream quiet, log1, log2;
  const TrainResult plain = train_experiment(load_config((dir / "plain.yaml").string(), {}, ser::test::data_dir()),
                                             (dir / "plain").string(), quiet, cache);
  const ExperimentConfig c = load_config((dir / "wave.yaml").string(), {}, ser::test::data_dir());
  const TrainResult two = train_experiment(c, (dir / "two").string(), log2, cache);
  const TrainResult one = train_experiment(load_config((dir / "wave.yaml").string(), {"threads=1"}, ser::test::data_dir()),
                                           (dir / "one").string(), log1, cache);
  MESSAGE("tess MLP, 2 epochs: accuracy " << plain.test_accuracy << " plain, " << two.test_accuracy << " with wave and mixup");
  CHECK(read(dir / "one" / "metrics.json") == read(dir / "two" / "metrics.json"));
  CHECK(read(dir / "plain" / "history.csv") != read(dir / "two" / "history.csv"));
  CHECK(two.test_accuracy > 0.5);  // chance is 1/7; mixup and noise slow the first epochs
  INFO(log2.str());
  CHECK(log2.str().find("augmentation.wave: 839 training recordings held in memory") != std::string::npos);
  fs::remove_all(dir);
#endif
}

int main(int argc, char** argv) {
  return ser::test::run_requiring(ser::test::data_dir() + "/tess", "SER_DATA", argc, argv);
}

TEST_CASE("RAVDESS by gender and intensity: gender labels, the strong files alone, per-group test scores, "
          "leave one gender out") {
#if SER_ADDRESS_SANITIZER
  // Whole trainings on extracted features, for their results: the Release pass
  // runs them; the sanitizers see the same code in test_classical and test_datasets.
  MESSAGE("sanitizer build: left to the Release pass");
#else
  const fs::path dir = fresh_dir("ser_test_runner_gender");
  const std::string speakers = "{test_speakers: [\"13\", \"14\", \"15\", \"16\"]}";
  std::ofstream(dir / "emotion.yaml") << ser::test::tess_mlp_yaml(
      {.name = "ravdess_mlp", .epochs = 3, .split = speakers, .corpus = "ravdess", .classes = 8});
  const auto train = [&](const std::vector<std::string>& overrides, const std::string& out) {
    std::ostringstream log;
    train_experiment(load_config((dir / "emotion.yaml").string(), overrides, ser::test::data_dir()),
                     (dir / out).string(), log, (dir / "cache").string());
    return std::pair{nlohmann::json::parse(read(dir / out / "metrics.json")), log.str()};
  };
  {  // Emotion: the test actors' scores per gender and per intensity beside the whole.
    const auto [m, log] = train({}, "emotion");
    CHECK(m["test_female"]["labels"].size() == 8);
    for (const auto& [whole, parts] : {std::pair{"test", std::vector<std::string>{"test_female", "test_male"}},
                                       std::pair{"test", std::vector<std::string>{"test_intensity_normal",
                                                                                  "test_intensity_strong"}}}) {
      int support = 0;
      for (const auto& part : parts)
        for (const auto& c : m[part]["per_class"]) support += c["support"].get<int>();
      CHECK(support == 240);  // 4 actors x 60 files, each counted once per grouping
      CHECK(m.contains(whole));
    }
  }
  {  // Gender of the strong files only: two classes, 448 of 960 files kept.
    const auto [m, log] = train({"data.labels=gender", "data.intensity=strong", "model.layers.1.units=2"}, "gender");
    CHECK(m["test"]["labels"] == nlohmann::json::array({"female", "male"}));
    CHECK(log.find("kept 448 of 960 files") != std::string::npos);
    CHECK(!m.contains("test_female"));  // the label itself: no per-gender section
    CHECK(!m.contains("test_intensity_strong"));  // one intensity: nothing to split
    CHECK(m["test"]["accuracy"].get<double>() > 0.75);  // chance is 0.5
  }
  {  // Leave one gender out: two folds, each tested on the gender it never heard.
    const auto [m, log] = train({"data.split={kind: loso, by: gender}"}, "cross");
    REQUIRE(m["folds"].size() == 2);
    CHECK(m["split"] == "leave one gender out");
    CHECK(m["folds"][0]["test_group"] != m["folds"][1]["test_group"]);
    for (const auto& f : m["folds"]) CHECK(f["test_files"] == 480);
  }
  fs::remove_all(dir);
#endif
}

TEST_CASE("model.kind logistic, linear_svm and knn through the runner: fitted once, scored and saved like a network") {
#if SER_ADDRESS_SANITIZER
  // Whole trainings on extracted features, for their results: the Release pass
  // runs them; the sanitizers see the same code in test_classical and test_datasets.
  MESSAGE("sanitizer build: left to the Release pass");
#else
  const fs::path dir = fresh_dir("ser_test_runner_classical");
  std::ofstream(dir / "mlp.yaml") << kConfig;
  for (const char* kind : {"logistic", "linear_svm", "knn"}) {
    const ExperimentConfig c =
        load_config((dir / "mlp.yaml").string(), {std::string("model.kind=") + kind}, ser::test::data_dir());
    std::ostringstream log1, log2;
    const TrainResult a = train_experiment(c, (dir / kind).string(), log1, (dir / "cache").string());
    train_experiment(c, (dir / (std::string(kind) + "_again")).string(), log2, (dir / "cache").string());
    std::printf("tess pooled MFCC-40, %s: test accuracy %.4f\n", kind, a.test_accuracy);
    CHECK(a.test_accuracy > 0.85);  // chance is 1/7; the MLP of the same features reaches 0.9 in 4 epochs
    CHECK(read(dir / kind / "metrics.json") == read(dir / (std::string(kind) + "_again") / "metrics.json"));
    const std::string history = read(dir / kind / "history.csv");
    CHECK(std::count(history.begin(), history.end(), '\n') == 2);  // header + the fitted model's row
    ser::nn::Sequential saved = ser::nn::load_model((dir / kind / "model.sermodel").string());
    CHECK(saved.layer(1).kind() == (std::string(kind) == "knn" ? "KNeighbors" : "Dense"));
    CHECK(saved.labels.size() == 7);
  }
  fs::remove_all(dir);
#endif
}
