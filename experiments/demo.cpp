#include "experiments/demo.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <numbers>
#include <numeric>
#include <stdexcept>

#include "nn/model_file.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/train.hpp"

namespace ser::experiments {

namespace {
constexpr int64_t kLength = 1024;
constexpr double kRate = 8000.0;
const std::vector<std::string> kClasses = {"rising", "falling", "steady", "vibrato"};

// One tone of random base pitch, level and noise whose pitch follows the class's contour.
void synthesize(int label, nn::Rng& rng, float* out) {
  const double f0 = 180.0 + 220.0 * rng.uniform(), level = 0.3 + 0.7 * rng.uniform();
  double phase = 2 * std::numbers::pi * rng.uniform();
  for (int64_t i = 0; i < kLength; ++i) {
    const double t = static_cast<double>(i) / static_cast<double>(kLength);
    double f = f0;
    if (label == 0) f = f0 * (1.0 + 0.6 * t);
    if (label == 1) f = f0 * (1.6 - 0.6 * t);
    if (label == 3) f = f0 * (1.0 + 0.15 * std::sin(2 * std::numbers::pi * 4 * t));
    phase += 2 * std::numbers::pi * f / kRate;
    out[i] = static_cast<float>(level * std::sin(phase) + 0.15 * rng.normal());
  }
}

struct Split {
  std::vector<float> x;
  std::vector<int32_t> y;
};
Split make_split(int64_t per_class, nn::Rng& rng) {
  Split s;
  const int64_t n = per_class * static_cast<int64_t>(kClasses.size());
  s.x.resize(static_cast<size_t>(n * kLength));
  for (int64_t i = 0; i < n; ++i) {
    s.y.push_back(static_cast<int32_t>(i % static_cast<int64_t>(kClasses.size())));
    synthesize(s.y.back(), rng, s.x.data() + i * kLength);
  }
  return s;
}

std::vector<int32_t> predict_all(nn::Sequential& model, const Split& s) {
  std::vector<int64_t> rows(s.y.size());
  std::iota(rows.begin(), rows.end(), 0);
  return nn::argmax_rows(model.predict(nn::gather_rows(s.x, model.input_shape(), rows)));
}
}  // namespace

DemoResult run_demo(const DemoOptions& o, std::ostream& out) {
  if (o.epochs < 1) throw std::invalid_argument("--epochs must be at least 1");
  nn::Rng data_rng(o.seed);
  const Split train = make_split(150, data_rng), test = make_split(50, data_rng);
  out << "ser demo: " << kClasses.size() << " synthetic pitch contours (rising, falling, steady, vibrato), "
      << train.y.size() << " training and " << test.y.size() << " test waveforms of " << kLength << " samples at "
      << kRate << " Hz, seed " << o.seed << "\n\n";

  nn::Rng init(o.seed);
  nn::Sequential model({{"conv1d", {{"filters", "8"}, {"kernel", "9"}, {"activation", "relu"}}},
                        {"maxpool1d", {{"pool", "4"}}},
                        {"conv1d", {{"filters", "16"}, {"kernel", "9"}, {"activation", "relu"}}},
                        {"maxpool1d", {{"pool", "4"}}},
                        {"flatten"},
                        {"dense", {{"units", "32"}, {"activation", "relu"}}},
                        {"dropout", {{"rate", "0.3"}}},
                        {"dense", {{"units", "4"}}}},
                       nn::Shape{1, kLength}, init, "demo_cnn1d");
  model.labels = kClasses;
  out << model.summary() << "\n";

  nn::Adam opt(model.parameter_tensors(), nn::AdamOptions{});
  nn::Rng shuffle(o.seed + 1), dropout(o.seed + 2);
  std::vector<int64_t> order(train.y.size());
  std::iota(order.begin(), order.end(), 0);
  const int64_t batch = 32;
  out << std::fixed << std::setprecision(4);
  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    shuffle.shuffle(order);
    double loss = 0;
    int64_t correct = 0, steps = 0;
    for (size_t b = 0; b < order.size(); b += batch) {
      const std::span<const int64_t> rows(order.data() + b, std::min<size_t>(batch, order.size() - b));
      std::vector<int32_t> y;
      for (int64_t r : rows) y.push_back(train.y[static_cast<size_t>(r)]);
      const nn::StepResult s =
          nn::train_step(model, opt, nn::gather_rows(train.x, model.input_shape(), rows), y, dropout);
      loss += s.loss;
      correct += s.correct;
      ++steps;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    out << "epoch " << epoch << "/" << o.epochs << "  loss " << loss / static_cast<double>(steps) << "  train accuracy "
        << static_cast<double>(correct) / static_cast<double>(order.size()) << "  " << std::setprecision(2) << seconds
        << " s" << std::setprecision(4) << "\n"
        << std::flush;
  }

  const auto predicted = predict_all(model, test);
  std::vector<std::vector<int>> confusion(kClasses.size(), std::vector<int>(kClasses.size()));
  int64_t correct = 0;
  for (size_t i = 0; i < predicted.size(); ++i) {
    ++confusion[static_cast<size_t>(test.y[i])][static_cast<size_t>(predicted[i])];
    correct += predicted[i] == test.y[i];
  }
  DemoResult result;
  result.test_accuracy = static_cast<double>(correct) / static_cast<double>(test.y.size());
  out << "\ntest accuracy " << result.test_accuracy << " on " << test.y.size() << " held-out waveforms\n";
  out << "confusion matrix (rows: true, columns: predicted)\n" << std::setw(10) << "";
  for (const auto& c : kClasses) out << std::setw(9) << c;
  out << "\n";
  for (size_t r = 0; r < kClasses.size(); ++r) {
    out << std::setw(10) << kClasses[r];
    for (int v : confusion[r]) out << std::setw(9) << v;
    out << "\n";
  }

  std::filesystem::create_directories(o.out_dir);
  result.model_path = (std::filesystem::path(o.out_dir) / "demo.sermodel").string();
  nn::save_model(model, result.model_path);
  nn::Sequential reloaded = nn::load_model(result.model_path);
  const bool same = predict_all(reloaded, test) == predicted;
  out << "\nmodel saved to " << result.model_path
      << (same ? " (reloaded: identical predictions)" : " (WARNING: reloaded model predicts differently)") << "\n";
  if (!same) throw std::runtime_error("reloaded demo model predicts differently");
  return result;
}

}  // namespace ser::experiments
