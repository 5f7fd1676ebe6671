#include "experiments/predict_command.hpp"

#include <array>
#include <cstdio>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>

#include "experiments/arg_parser.hpp"
#include "experiments/faces.hpp"
#include "experiments/predict.hpp"

namespace ser::experiments {

namespace {

// Runs `one(file, its JSON)` for every file; it returns the file's lines
// for the terminal. A file that fails is reported and the others go on;
// with --json the array is printed at the end. In a job of several ranks
// each rank takes every size()-th file and rank 0 prints all, in order.
int predict_each(const std::vector<std::string>& files, bool json, const Communicator& world,
                 const std::function<std::string(const std::string&, nlohmann::ordered_json&)>& one) {
  nlohmann::ordered_json mine = nlohmann::ordered_json::array();  // [file's JSON, its lines, its error]
  for (size_t i = static_cast<size_t>(world.rank()); i < files.size(); i += static_cast<size_t>(world.size())) {
    nlohmann::ordered_json j;
    j["file"] = files[i];
    std::string lines, error;
    try {
      lines = one(files[i], j);
    } catch (const std::exception& e) {
      j["error"] = error = e.what();
    }
    mine.push_back({j, lines, error});
  }
  const auto shares = world.all_gather(mine.dump());
  std::vector<nlohmann::ordered_json> parts;
  for (const auto& share : shares) parts.push_back(nlohmann::ordered_json::parse(share));
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  int failed = 0;
  for (size_t i = 0; i < files.size(); ++i) {  // file i is item i / size of rank i % size
    const auto& [j, lines, error] =
        parts[i % shares.size()][i / shares.size()].get<std::array<nlohmann::ordered_json, 3>>();
    if (!error.get<std::string>().empty()) {
      ++failed;
      if (world.is_root()) std::cerr << "ser predict: " << error.get<std::string>() << "\n";
    }
    if (!json) std::cout << lines.get<std::string>();
    all.push_back(j);
  }
  if (json) std::cout << all.dump(2) << "\n";
  return failed ? 1 : 0;
}

// `ser predict` with a face model: per image, its faces (a face-sized image is one).
int predict_images(const std::vector<std::string>& files, const std::string& model, int threads, bool json,
                   const Communicator& world) {
  ImagePredictor predictor(model, threads);
  return predict_each(files, json, world, [&](const std::string& file, nlohmann::ordered_json& j) {
    j["faces"] = nlohmann::ordered_json::array();
    const auto faces = predictor.predict(file);
    std::string lines;
    char line[1024];
    if (faces.empty()) lines = file + ": no face found\n";
    for (const auto& f : faces) {
      nlohmann::ordered_json face = {{"box", {f.box.x, f.box.y, f.box.width, f.box.height}},
                                     {"emotion", f.emotion},
                                     {"probability", f.probability}};
      for (size_t c = 0; c < predictor.labels().size(); ++c)
        face["probabilities"][predictor.labels()[c]] = f.probabilities[c];
      j["faces"].push_back(face);
      std::snprintf(line, sizeof(line), "%s: face at %d,%d %dx%d: %s (%.3f)\n", file.c_str(), f.box.x, f.box.y,
                    f.box.width, f.box.height, f.emotion.c_str(), f.probability);
      lines += line;
    }
    return lines;
  });
}

}  // namespace

int predict_command(const std::vector<std::string>& args, const Communicator& world) {
  ArgParser p("predict", R"(Predicts the emotion of each recording with a model trained by `ser train`, using the
feature recipe and scaling statistics stored in the model. Prints the emotion and its
probability per file, or with --json every class probability. A file that cannot be read
is reported and the others go on (exit status 1 if any failed). With a face model (FER2013)
the files are images: one of the model's input size is a face; a larger one goes through
face detection (see ser faces), one prediction per face.)");
  p.positional("FILE", "audio files (WAV, FLAC, AIFF, OGG, ...), or images for a face model", /*repeatable=*/true)
      .option("--model", "DIR_OR_FILE",
              "a run directory or a .sermodel file (required; repeat it for an ensemble: the models' class "
              "probabilities are averaged)")
      .flag("--json", "print a JSON array: file, emotion, probability and all class probabilities")
      .option("--threads", "N", "threads the model may use per file (default 0: every core)");
  if (!p.parse(args)) return 0;
  const auto model = p.maybe("--model");
  if (!model) throw UsageError("--model is required: a run directory or a .sermodel file");
  const int threads = p.given("--threads") ? p.integer("--threads") : 0;
  if (is_image_model(*model)) return predict_images(p.positionals(), *model, threads, p.given("--json"), world);
  EnsemblePredictor predictor(p.all("--model"), threads);
  const bool json = p.given("--json");
  return predict_each(p.positionals(), json, world, [&](const std::string& file, nlohmann::ordered_json& j) {
    const auto r = predictor.predict(file);
    j["emotion"] = r.emotion;
    j["probability"] = r.probability;
    for (const auto& [label, prob] : r.probabilities) j["probabilities"][label] = prob;
    char line[1024];
    std::snprintf(line, sizeof(line), "%s: %s (%.3f)\n", file.c_str(), r.emotion.c_str(), r.probability);
    return std::string(line);
  });
}

}  // namespace ser::experiments
