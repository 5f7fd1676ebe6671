// After `ser train`: predict_emotion on single files (the quirk files too)
// gives what the batch path gives, because the model file carries the
// feature recipe and the training scaling; `ser eval` scores another data
// folder; augmented copies are cached, deterministic and kept with their
// source unless the leaky row split is asked for.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <fstream>
#include <numeric>
#include <set>
#include <sstream>

#include "datasets/audio_corpora.hpp"
#include "datasets/augmentation.hpp"
#include "datasets/feature_cache.hpp"
#include "common/text.hpp"
#include "experiments/arg_parser.hpp"
#include "experiments/compare.hpp"
#include "experiments/config.hpp"
#include "experiments/evaluate_run.hpp"
#include "experiments/predict.hpp"
#include "experiments/runner.hpp"
#include "support/trained_tess.hpp"
#include "support/main_requiring.hpp"
#include "support/paths.hpp"
#include "support/tess_mlp.hpp"

using namespace ser::experiments;
namespace fs = std::filesystem;

namespace {
const std::string kConfig = ser::test::tess_mlp_yaml({.split = "{kind: random, test: 0.25}"});

struct Run {
  fs::path dir;
  Run() : dir(fs::temp_directory_path() / ("ser_test_predict_" + std::to_string(::getpid()))) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "mlp.yaml") << kConfig;
    std::ostringstream log;
    train_experiment(load_config((dir / "mlp.yaml").string(), {}, ser::test::data_dir()), (dir / "run").string(),
                     log, (dir / "cache").string());
  }
  ~Run() { fs::remove_all(dir); }
};
}  // namespace

TEST_CASE("predict_emotion on one file agrees with the batch path; the quirk files work") {
  Run run;
  EvalOptions o;
  o.cache_dir = (run.dir / "cache").string();
  o.data_dir = ser::test::data_dir();
  std::ostringstream log;
  const EvalResult all = evaluate_runs({(run.dir / "run").string()}, o, log);
  CHECK(all.files == 1399);
  CHECK(all.metrics.accuracy > 0.8);
  // The run's own test part: exactly the test score training wrote; an
  // ensemble of the model with itself is the model.
  EvalOptions test_part = o;
  test_part.part = EvalPart::test;
  const EvalResult test = evaluate_runs({(run.dir / "run").string()}, test_part, log);
  const std::string metrics = ser::read_file((run.dir / "run" / "metrics.json").string());
  CHECK(test.files == 350);
  CHECK(metrics.find("\"accuracy\": " + nlohmann::json(test.metrics.accuracy).dump()) != std::string::npos);
  const EvalResult doubled = evaluate_runs({(run.dir / "run").string(), (run.dir / "run").string()}, test_part, log);
  CHECK(doubled.predictions == test.predictions);
  // A line per model of an ensemble (its feature lines between), then what it scored.
  const size_t second = log.str().find("model 2 of 2: " + (run.dir / "run").string() + "\n");
  CHECK(second != std::string::npos);
  CHECK(log.str().find("  350 files scored in ", second) != std::string::npos);
  CHECK(doubled.json.find("\"part\": \"test\"") != std::string::npos);
  // A member of an ensemble scored on a part must not have trained on it:
  // another seed draws another split unless data.split.seed fixes it.
  auto train_seed = [&](const std::string& name, const std::vector<std::string>& sets) {
    std::ostringstream quiet;
    train_experiment(load_config((run.dir / "mlp.yaml").string(), sets, ser::test::data_dir()),
                     (run.dir / name).string(), quiet, (run.dir / "cache").string());
    return (run.dir / name).string();
  };
  const std::string own_split = train_seed("seed5", {"seed=5"});
  const std::string shared_split = train_seed("seed5_split3", {"seed=5", "data.split.seed=3"});
  CHECK_THROWS_WITH(evaluate_runs({(run.dir / "run").string(), own_split}, test_part, log),
                    doctest::Contains("seed5' trained on"));
  CHECK_THROWS_WITH(evaluate_runs({(run.dir / "run").string(), own_split}, test_part, log),
                    doctest::Contains("--set data.split.seed=N"));
  const EvalResult shared = evaluate_runs({(run.dir / "run").string(), shared_split}, test_part, log);
  CHECK(shared.files == 350);
  CHECK(evaluate_runs({(run.dir / "run").string(), own_split}, o, log).files == 1399);  // every file: no part to keep
  EmotionPredictor predictor((run.dir / "run").string());
  int agree = 0;
  for (size_t i = 0; i < all.predictions.size(); i += 70) {
    const auto& [file, label] = all.predictions[i];
    agree += predictor.predict(file).emotion == label;
  }
  CHECK(agree == 20);  // features recomputed, float32-rounded and scaled as in training
  for (const char* f : {"YAF_germ_angry.wav", "YAF_neat_fear.wav", "OAF_food_fear.wav", "03-01-02-01-01-02-01.wav"}) {
    const auto p = predict_emotion(ser::test::data_dir() + "/quirks/" + f, (run.dir / "run" / "model.sermodel").string());
    CHECK(p.probabilities.size() == 7);
    double sum = 0;
    for (const auto& [label, prob] : p.probabilities) sum += prob;
    CHECK(sum == doctest::Approx(1.0).epsilon(1e-5));
    CHECK(p.probability == doctest::Approx(std::max_element(p.probabilities.begin(), p.probabilities.end(),
                                                            [](auto& a, auto& b) { return a.second < b.second; })
                                               ->second));
  }
  // The AIFF-behind-.wav files are TESS recordings the model trained on.
  CHECK(predictor.predict(ser::test::data_dir() + "/quirks/YAF_germ_angry.wav").emotion == "angry");

  // An ensemble averages its members' probabilities: a model with itself is the model.
  const std::string one = ser::test::data_dir() + "/quirks/OAF_food_fear.wav";
  const std::string model = (run.dir / "run").string();
  const auto single = predictor.predict(one), twice = EnsemblePredictor({model, model}).predict(one);
  REQUIRE(twice.probabilities.size() == single.probabilities.size());
  for (size_t c = 0; c < single.probabilities.size(); ++c) {
    CHECK(twice.probabilities[c].first == single.probabilities[c].first);
    CHECK(twice.probabilities[c].second == doctest::Approx(single.probabilities[c].second).epsilon(1e-6));
  }
  CHECK(twice.emotion == single.emotion);
  CHECK_THROWS_WITH(EnsemblePredictor({}), doctest::Contains("at least one model"));
  CHECK(class_positions({"sad", "angry", "happy"}, {"angry", "happy", "sad"}) == std::vector<size_t>{2, 0, 1});
  CHECK(class_positions({"sad", "angry"}, {"angry", "happy"}).empty());
  const std::string ravdess = ser::test::train_tess_flat_mlp(run.dir, "ravdess", "ravdess_run");  // 8 classes
  CHECK_THROWS_WITH(EnsemblePredictor({model, ravdess}), doctest::Contains("its classes differ"));
  CHECK_THROWS_WITH(evaluate_runs({model, ravdess}, o, log), doctest::Contains("has other classes than that of"));

  CHECK_THROWS_WITH(predictor.predict("/no/such.wav"), doctest::Contains("/no/such.wav"));
  CHECK_THROWS_WITH(EmotionPredictor((run.dir / "cache").string()), doctest::Contains("without model.sermodel"));
  CHECK_THROWS_WITH(EmotionPredictor((run.dir / "mlp.yaml").string()), doctest::Contains("mlp.yaml"));

  SUBCASE("eval on another folder: held-out files, and labels the model does not know left out") {
    const fs::path held = run.dir / "held_out";
    fs::create_directories(held / "YAF_sad");
    int n = 0;
    for (const auto& e : fs::directory_iterator(ser::test::data_dir() + "/tess/YAF_sad"))
      if (n++ < 10) fs::create_symlink(e.path(), held / "YAF_sad" / e.path().filename());
    o.data_root = held.string();
    const EvalResult r = evaluate_runs({(run.dir / "run").string()}, o, log);
    CHECK(r.files == 10);
    CHECK(r.json.find("\"predictions\"") != std::string::npos);

    o.data_root = ser::test::data_dir() + "/ravdess";  // not the kind the run was trained on: nothing loads
    CHECK_THROWS(evaluate_runs({(run.dir / "run").string()}, o, log));
    o.data_root = "/no/such/folder";
    CHECK_THROWS_WITH(evaluate_runs({(run.dir / "run").string()}, o, log), doctest::Contains("is not a folder"));
    CHECK_THROWS_WITH(evaluate_runs({run.dir.string()}, o, log), doctest::Contains("is not a run directory"));
    o.data_root = held.string();
    o.mirror = true;  // an audio model: nothing to mirror or move
    CHECK_THROWS_WITH(evaluate_runs({(run.dir / "run").string()}, o, log), doctest::Contains("for image models"));
    o.mirror = false;
    o.shift = 2;
    CHECK_THROWS_WITH(evaluate_runs({(run.dir / "run").string()}, o, log), doctest::Contains("for image models"));
  }
}

TEST_CASE("augmented copies: extracted from the augmented audio, cached, and kept with their source") {
  ser::datasets::Corpus tess = ser::datasets::load_tess(ser::test::data_dir() + "/tess");
  tess.samples.resize(12);
  ser::datasets::AugmentRecipe noise, pitch;
  noise.noise = 0.035;
  pitch.pitch = 0.7;
  const auto aug = ser::datasets::with_augmented_copies(tess, {noise, pitch}, 1);
  REQUIRE(aug.samples.size() == 36);
  const fs::path dir = fs::temp_directory_path() / ("ser_test_aug_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  ser::dsp::FeatureSpec spec;
  spec.load.sample_rate = 22050;
  const ser::datasets::FeatureCache cache(dir.string(), spec);
  const auto first = cache.extract(aug, 2);
  const auto second = cache.extract(aug, 2);
  CHECK(first.stats.computed == 36);
  CHECK(second.stats.reused == 36);
  for (size_t i = 0; i < 36; ++i) {
    REQUIRE(first.features[i]);
    CHECK(first.features[i]->data == second.features[i]->data);
  }
  CHECK(first.features[0]->data != first.features[1]->data);  // noise changes the MFCCs
  CHECK(first.features[0]->data != first.features[2]->data);  // so does the pitch shift
  CHECK(first.features[0]->cols == first.features[2]->cols);  // a pitch shift keeps the length
  fs::remove_all(dir);
}

TEST_CASE("the split keeps copies with their source; split_rows leaks copies of test files into training") {
  const fs::path p = fs::temp_directory_path() / ("ser_test_leak_" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(p) << kConfig << "augmentation:\n  copies: [{noise: 0.035}, {pitch: 0.7}, {pitch: 0.7, noise: 0.035}]\n";
  ExperimentConfig c = load_config(p.string(), {}, ser::test::data_dir());
  fs::remove(p);
  const auto corpus = ser::datasets::with_augmented_copies(
      ser::datasets::load_tess(ser::test::data_dir() + "/tess"), c.augmentation.copies, c.seed);
  auto leaked = [&](const ser::datasets::Split& s) {
    std::set<std::string> train;
    for (size_t i : s.train) train.insert(corpus.samples[i].path);
    std::set<std::string> test_files, leaked_files;
    for (size_t i : s.test) {
      test_files.insert(corpus.samples[i].path);
      if (train.count(corpus.samples[i].path)) leaked_files.insert(corpus.samples[i].path);
    }
    return std::pair{leaked_files.size(), test_files.size()};
  };
  const auto honest = leaked(split_for(c, corpus));
  CHECK(honest.first == 0);
  c.augmentation.split_rows = true;
  const auto [leaks, files] = leaked(split_for(c, corpus));
  MESSAGE("row-wise split: " << leaks << " of " << files << " test files have a copy in training");
  CHECK(leaks > files / 2);
}

TEST_CASE("ser compare: a sweep over two keys, k-fold and leave-one-speaker-out runs, one table") {
  const fs::path dir = fs::temp_directory_path() / ("ser_test_compare_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "mlp.yaml") << kConfig;
  const auto entries = compare_entries({(dir / "mlp.yaml").string()}, {"training.epochs=2"},
                                       {"data.split={kind: kfold, folds: 3}|{kind: loso}", "seed=1|2"});
  REQUIRE(entries.size() == 4);
  CHECK(entries[0].label == "mlp__split=kind=kfold+folds=3__seed=1");
  CHECK(entries[3].overrides == std::vector<std::string>{"training.epochs=2", "data.split={kind: loso}", "seed=2"});
  std::ostringstream log;
  const auto rows = run_comparison(entries, (dir / "out").string(), (dir / "cache").string(), ser::test::data_dir(), log);
  REQUIRE(rows.size() == 4);
  CHECK(fs::exists(dir / "out" / entries[0].label / "fold_03" / "model.sermodel"));
  CHECK(fs::exists(dir / "out" / entries[2].label / "fold_02" / "metrics.json"));  // OAF, YAF
  CHECK(!fs::exists(dir / "out" / entries[2].label / "fold_03"));
  CHECK(rows[0].accuracy > 0.5);  // 3-fold on pooled MFCCs learns
  CHECK(log.str().find("fold_02 of 2 (test: YAF)") != std::string::npos);
  const std::string table = comparison_table(rows);
  CHECK(table.find("over seeds:") != std::string::npos);
  CHECK(table.find("mlp__split=kind=loso ") != std::string::npos);
  CHECK(fs::exists(dir / "out" / "compare.csv"));
  CHECK_THROWS_AS(compare_entries({"a.yaml"}, {}, {"seed"}), UsageError);
  fs::remove_all(dir);
}

// Known answers: seeds 1 and 2 of one recipe give 0.5 and 0.7, so the mean
// is 0.6 and the sample standard deviation sqrt(0.01 + 0.01) = 0.1414; a
// recipe with one seed has 0; a run without a seed is in no group.
TEST_CASE("ser compare's table: a row per run, then the mean and deviation over seeds per recipe") {
  const std::vector<CompareRow> rows = {{"mlp__seed=1", "", 0.5, 0.4, 10.0},
                                        {"mlp__seed=2", "", 0.7, 0.6, 12.5},
                                        {"cnn__seed=1__lr=0.1", "", 0.8, 0.7, 3.0},
                                        {"plain", "", 0.9, 0.85, 1.0}};
  CHECK(comparison_table(rows) ==
        "run                  accuracy  macro-F1   time (s)\n"
        "mlp__seed=1            0.5000    0.4000       10.0\n"
        "mlp__seed=2            0.7000    0.6000       12.5\n"
        "cnn__seed=1__lr=0.1    0.8000    0.7000        3.0\n"
        "plain                  0.9000    0.8500        1.0\n"
        "\n"
        "over seeds:\n"
        "run          seeds         accuracy         macro-F1\n"
        "mlp              2   0.6000 +- 0.1414   0.5000 +- 0.1414\n"
        "cnn__lr=0.1      1   0.8000 +- 0.0000   0.7000 +- 0.0000\n");
  CHECK(comparison_table({rows.back()}).find("over seeds") == std::string::npos);
}

int main(int argc, char** argv) {
  return ser::test::run_requiring(ser::test::data_dir() + "/tess", "SER_DATA", argc, argv);
}
