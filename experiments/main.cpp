// The `ser` command line. Subcommands grow with the project; each has --help.
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "experiments/demo.hpp"
#include "nn/model_file.hpp"

namespace {

const char* kUsage = R"(ser: speech emotion recognition research framework

usage: ser <command> [options]

commands:
  demo               train a small 1-D CNN on synthetic pitch contours (no download needed)
  inspect MODEL      print the architecture, parameter counts and labels of a .sermodel file

Run 'ser <command> --help' for the options of a command.
)";

const char* kDemoUsage = R"(usage: ser demo [--epochs N] [--seed S] [--out DIR]

Synthesises four classes of pitch contour (rising, falling, steady, vibrato),
trains a 1-D CNN on the raw waveforms with Adam, prints progress, test
accuracy and a confusion matrix, then saves the model to DIR/demo.sermodel
and checks that the reloaded model predicts identically.

options:
  --epochs N   training epochs (default 8)
  --seed S     seed for the data, the weights, shuffling and dropout (default 1)
  --out DIR    where the model is written (default runs/demo)
)";

const char* kInspectUsage = R"(usage: ser inspect MODEL

Prints the Keras-style summary of a model file (layers, output shapes,
parameter counts), its class labels and its feature settings. A damaged or
truncated file is reported with what is wrong.
)";

bool wants_help(const std::vector<std::string>& args) {
  for (const auto& a : args)
    if (a == "--help" || a == "-h") return true;
  return false;
}

[[noreturn]] void usage_error(const std::string& what, const char* usage) {
  std::cerr << "ser: " << what << "\n\n" << usage;
  std::exit(2);
}

uint64_t parse_count(const std::string& flag, const std::string& value, const char* usage) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || errno != 0 || value[0] == '-')
    usage_error(flag + " needs a non-negative integer, got '" + value + "'", usage);
  return v;
}

int demo(const std::vector<std::string>& args) {
  if (wants_help(args)) {
    std::cout << kDemoUsage;
    return 0;
  }
  ser::experiments::DemoOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) usage_error(args[i] + " needs a value", kDemoUsage);
      return args[++i];
    };
    if (args[i] == "--epochs")
      o.epochs = static_cast<int>(parse_count("--epochs", value(), kDemoUsage));
    else if (args[i] == "--seed")
      o.seed = parse_count("--seed", value(), kDemoUsage);
    else if (args[i] == "--out")
      o.out_dir = value();
    else
      usage_error("unknown option '" + args[i] + "' for demo", kDemoUsage);
  }
  ser::experiments::run_demo(o, std::cout);
  return 0;
}

int inspect(const std::vector<std::string>& args) {
  if (wants_help(args)) {
    std::cout << kInspectUsage;
    return 0;
  }
  if (args.size() != 1) usage_error("inspect takes exactly one model file", kInspectUsage);
  ser::nn::Sequential model = ser::nn::load_model(args[0]);
  std::cout << model.summary();
  std::cout << "Labels (" << model.labels.size() << "):";
  for (const auto& l : model.labels) std::cout << " " << l;
  std::cout << "\n";
  if (!model.feature_settings.empty()) std::cout << "Feature settings:\n" << model.feature_settings << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  try {
    if (command == "demo") return demo(args);
    if (command == "inspect") return inspect(args);
  } catch (const std::exception& e) {
    std::cerr << "ser " << command << ": error: " << e.what() << "\n";
    return 1;
  }
  usage_error("unknown command '" + command + "'", kUsage);
}
