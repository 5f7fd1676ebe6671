// The `ser` command line. Each subcommand declares its options with
// ArgParser, which also writes its --help.
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "common/communicator.hpp"
#include "common/data_dir.hpp"
#include "experiments/arg_parser.hpp"
#include "experiments/compare.hpp"
#include "experiments/config.hpp"
#include "experiments/data_command.hpp"
#include "experiments/demo.hpp"
#include "experiments/eval_command.hpp"
#include "experiments/export_command.hpp"
#include "experiments/faces_command.hpp"
#include "experiments/features_command.hpp"
#include "experiments/import_command.hpp"
#include "experiments/listen_command.hpp"
#include "experiments/plot_command.hpp"
#include "experiments/predict_command.hpp"
#include "experiments/progress.hpp"
#include "experiments/report_command.hpp"
#include "experiments/runner.hpp"
#include "experiments/timeline_command.hpp"
#include "nn/model_file.hpp"
#include "vision/vision_error.hpp"

namespace {

using ser::experiments::ArgParser;

const char* kUsage = R"(ser: speech emotion recognition research framework

usage: ser <command> [options]

commands:
  data ROOT          report what a corpus folder holds (classes, speakers, skipped files, splits)
  demo               make a speech corpus with espeak-ng, train on it, predict (no download needed)
  faces INPUT...     the emotion of every face in images, folders, videos or a camera (--model)
  features AUDIO     compute one librosa feature (MFCC, mel, ...) of a file and write it as .npy
  plot AUDIO         draw a file's waveform, mel spectrogram and MFCCs as a PNG (--out)
  inspect MODEL      print the architecture, parameter counts and labels of a .sermodel file
  export RUN         write a run's model as ONNX (--onnx FILE), labels and feature recipe in its metadata
  import MODEL.onnx  read an ONNX model (ser's, PyTorch's) into a .sermodel, and a config to fine-tune it
  summary CONFIG     validate an experiment config and print its model's summary
  train CONFIG       run an experiment into a run directory (metrics, history, model)
  resume DIR         continue an interrupted run from its last checkpoint
  eval DIR           score a run's model on every file of a data set (e.g. held-out speakers)
  predict FILE...    the emotion of recordings (or of faces in images), with a trained model (--model)
  timeline AUDIO     emotion through a long recording: windows, segments, a table, JSON, CSV, a plot
  listen             emotion of live audio: a microphone, raw PCM on stdin, or a file at its own pace
  compare CONFIG...  run several configs (or one swept over a key) and tabulate accuracy, macro-F1, time
  report RUN_DIR...  a Jupyter notebook and HTML report (curves, confusion matrix, examples) of runs

Run 'ser <command> --help' for the options of a command.
)";

std::string data_dir_setting() { return ser::data_dir(); }

void print_run_written(const std::string& run_dir) {
  std::cout << "\nrun written to " << run_dir << "\nreport it with: ser report " << run_dir << " --out " << run_dir
            << "/report\n";
}

// "20261123-233000": default run folders sort by time.
std::string timestamp() {
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", std::localtime(&now));
  return stamp;
}

int demo(const std::vector<std::string>& args) {
  ArgParser p("demo", R"(Without SER_DATA: makes a small speech corpus with espeak-ng (4 emotions acted by prosody,
5 voices, 40 words), trains a small MFCC/RMS/ZCR model on it with the `ser train` runner,
tests it on a voice it never heard, and predicts a few files with the saved model.
With SER_DATA naming a folder that holds tess/: runs configs/tess_cnn1d_mfcc.yaml instead.)");
  p.option("--epochs", "N", "training epochs (default: the config's)")
      .option("--seed", "S", "seed for the corpus, the weights, the split, shuffling and dropout", "1")
      .option("--out", "DIR", "where the corpus, the feature cache and the run go", "runs/demo")
      .flag("--synthetic", "use the espeak-ng corpus even when SER_DATA is set");
  if (!p.parse(args)) return 0;
  ser::experiments::DemoOptions o;
  if (p.given("--epochs")) {
    o.epochs = p.integer("--epochs");
    if (o.epochs < 1) throw ser::experiments::UsageError("--epochs must be at least 1");
  }
  const int seed = p.integer("--seed");
  if (seed < 0) throw ser::experiments::UsageError("--seed must be >= 0");
  o.seed = static_cast<uint64_t>(seed);
  o.out_dir = p.text("--out");
  o.data_dir = data_dir_setting();
  o.synthetic = p.given("--synthetic");
  const auto r = ser::experiments::run_demo(o, std::cout);
  std::cout << "\nnotebook and HTML report of this run: ser report " << r.run_dir << " --out " << o.out_dir
            << "/report\n";
  return 0;
}

int summary(const std::vector<std::string>& args) {
  ArgParser p("summary", R"(Validates an experiment config (unknown keys, types, shapes) without touching any data and
prints the model as a Keras-style table: layers, output shapes, parameter counts.)");
  p.positional("CONFIG", "an experiment YAML file, e.g. configs/tess_cnn1d_mfcc.yaml")
      .option("--set", "KEY=VALUE", "override a config value (repeatable), e.g. --set training.epochs=5");
  if (!p.parse(args)) return 0;
  // No data is read: without SER_DATA the roots stay symbolic.
  const std::string data = data_dir_setting().empty() ? "$SER_DATA" : data_dir_setting();
  const auto config = ser::experiments::load_config(p.positionals()[0], p.all("--set"), data);
  ser::Rng rng(config.seed);
  ser::nn::Sequential model(config.layers, ser::experiments::model_input_shape(config), rng, config.name);
  std::cout << model.summary();
  return 0;
}

int train(const std::vector<std::string>& args, const ser::Communicator& world) {
  ArgParser p("train", R"(Runs the experiment a config describes: loads and splits the data, extracts (or reuses)
features, trains, and writes a run directory with the config, run.json (overrides, git
commit, seed, threads, machine), history.csv, metrics.json, timings.json and the model.
Under mpirun the ranks share the feature extraction, the folds of a k-fold run, or every
batch (data-parallel: set training.shards to at least the rank count; any rank count up to
it gives the same bytes). README: "Running on several machines".)");
  p.positional("CONFIG", "an experiment YAML file, e.g. configs/tess_cnn1d_mfcc.yaml")
      .option("--out", "DIR", "the run directory (default: <output>/<name>/<date-time>)")
      .option("--set", "KEY=VALUE", "override a config value (repeatable)")
      .option("--cache", "DIR", "feature cache (default: <output>/cache)")
      .flag("--force", "when --out already holds a run, delete it and start afresh (without it, ser refuses)");
  if (!p.parse(args)) return 0;
  const auto config = ser::experiments::load_config(p.positionals()[0], p.all("--set"), data_dir_setting());
  std::string out = p.maybe("--out").value_or("");
  if (out.empty()) {
    out = world.broadcast(config.output + "/" + config.name + "/" + timestamp());  // rank 0's clock names it
  }
  const std::string cache = p.maybe("--cache").value_or(config.output + "/cache");
  const auto start = p.flag_set("--force") ? ser::experiments::RunStart::replace : ser::experiments::RunStart::fresh;
  const auto r = ser::experiments::train_experiment(config, out, std::cout, cache, start, world);
  print_run_written(r.run_dir);
  return 0;
}

int resume(const std::vector<std::string>& args, const ser::Communicator& world) {
  ArgParser p("resume", R"(Continues an interrupted `ser train` run from its last checkpoint (written every
training.checkpoint_every epochs). The finished run has exactly the metrics an
uninterrupted run would have had. A data-parallel run resumes under mpirun, with any rank
count up to its training.shards.)");
  p.positional("DIR", "the run directory").option("--cache", "DIR", "feature cache (default: DIR/../../cache)");
  if (!p.parse(args)) return 0;
  const std::string dir = p.positionals()[0];
  const std::string cache =
      p.maybe("--cache").value_or((std::filesystem::path(dir).parent_path().parent_path() / "cache").string());
  const auto r = ser::experiments::resume_experiment(dir, std::cout, data_dir_setting(), cache, world);
  print_run_written(r.run_dir);
  return 0;
}

int inspect(const std::vector<std::string>& args) {
  ArgParser p("inspect", R"(Prints the Keras-style summary of a model file (layers, output shapes, parameter
counts), its class labels and its feature settings. A damaged or truncated file is
reported with what is wrong.)");
  p.positional("MODEL", "a .sermodel file");
  if (!p.parse(args)) return 0;
  ser::nn::Sequential model = ser::nn::load_model(p.positionals()[0]);
  std::cout << model.summary();
  std::cout << "Labels (" << model.labels.size() << "):";
  for (const auto& l : model.labels) std::cout << " " << l;
  std::cout << "\n";
  if (!model.feature_settings.empty()) {
    try {
      const auto in = ser::experiments::ModelInput::parse(model.feature_settings, p.positionals()[0]);
      std::cout << "Input: " << in.sample_shape().str() << ", layout "
                << ser::name_of(in.layout, ser::experiments::kLayouts) << ", frames " << in.frames << ", scaling "
                << ser::name_of(in.scaling, ser::experiments::kScalings);
      if (!in.mean.empty()) std::cout << " (statistics of " << in.mean.size() << " values from the training rows)";
      std::cout << "\nFeatures:\n";
      for (const auto& s : in.sets) std::cout << "  " << s.canonical() << "\n";
    } catch (const std::exception&) {  // a model saved outside `ser train`: its own text
      std::cout << "Feature settings:\n" << model.feature_settings << "\n";
    }
  }
  return 0;
}

int compare(const std::vector<std::string>& args, const ser::Communicator& world) {
  ArgParser p("compare", R"(Runs several experiment configs, or one config swept over one key, one after the other
with a shared feature cache, then prints one table: test accuracy, macro-F1 and wall time
per run (also OUT/compare.csv and OUT/compare.json; each run is a full run directory).
Under mpirun each rank takes the next run as it becomes free (its log: OUT/<run>.log).
Example: ser compare configs/features_compare_tess.yaml --sweep 'features.kinds=[mfcc]|[mel_db]|[zcr, rms]')");
  p.positional("CONFIG", "experiment YAML files", /*repeatable=*/true)
      .option("--set", "KEY=VALUE", "override a value in every config (repeatable)")
      .option("--sweep", "KEY=V1|V2|...",
              "one run per value of KEY (YAML values, separated by |); repeatable: every combination; sweeping seed "
              "adds a mean over seeds")
      .option("--out", "DIR", "where the runs go (default: runs/compare/<date-time>)")
      .option("--cache", "DIR", "feature cache (default: runs/cache)");
  if (!p.parse(args)) return 0;
  const auto entries = ser::experiments::compare_entries(p.positionals(), p.all("--set"), p.all("--sweep"));
  std::string out = p.maybe("--out").value_or("");
  if (out.empty()) {
    out = world.broadcast("runs/compare/" + timestamp());  // rank 0's clock names it
  }
  const auto rows = ser::experiments::run_comparison(entries, out, p.maybe("--cache").value_or("runs/cache"),
                                                     data_dir_setting(), std::cout, world);
  std::cout << "\n" << ser::experiments::comparison_table(rows) << "\nruns and compare.csv in " << out << "\n";
  return 0;
}

// Commands that split their work over the ranks of an MPI job; the others
// run as one process and refuse mpirun.
bool runs_on_ranks(const std::string& command) {
  for (const char* c : {"train", "resume", "compare", "data", "eval", "predict"})
    if (command == c) return true;
  return false;
}

int dispatch(const std::string& command, const std::vector<std::string>& args, const ser::Communicator& world) {
  if (world.distributed() && !runs_on_ranks(command))
    throw ser::experiments::UsageError("ser " + command +
                                       " runs as one process; start it without mpirun (train, resume, compare, data, "
                                       "eval and predict share their work over the ranks of a job)");
  if (command == "data") return ser::experiments::data_command(args, world);
  if (command == "demo") return demo(args);
  if (command == "faces") return ser::experiments::faces_command(args);
  if (command == "features") return ser::experiments::features_command(args);
  if (command == "inspect") return inspect(args);
  if (command == "export") return ser::experiments::export_command(args);
  if (command == "import") return ser::experiments::import_command(args);
  if (command == "summary") return summary(args);
  if (command == "train") return train(args, world);
  if (command == "resume") return resume(args, world);
  if (command == "eval") return ser::experiments::eval_command(args, world);
  if (command == "predict") return ser::experiments::predict_command(args, world);
  if (command == "compare") return compare(args, world);
  if (command == "report") return ser::experiments::report_command(args);
  if (command == "timeline") return ser::experiments::timeline_command(args);
  if (command == "plot") return ser::experiments::plot_command(args);
  if (command == "listen") return ser::experiments::listen_command(args);
  std::cerr << "ser: unknown command '" << command << "'\n\n" << kUsage;
  return 2;
}

// Prints what went wrong (naming the rank in a job) and gives the exit
// status; in a job of several processes it ends them all, so that no rank
// waits for this one forever.
int fail(const ser::Communicator& world, const std::string& command, const std::string& message, int status) {
  // One write: under mpirun the ranks' lines meet in one stream, and pieces would interleave.
  const std::string line =
      "ser " + command + (world.distributed() ? " (" + world.describe() + ")" : "") + ": " + message;
  std::cerr << line << std::flush;
  if (world.distributed()) world.abort(status);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  ser::MpiSession mpi(argc, argv);
  const ser::Communicator& world = mpi.world();
  if (!world.is_root()) {  // rank 0 speaks for the job; the others write only their errors
    std::freopen("/dev/null", "w", stdout);
    ser::experiments::ProgressBar::hide_all();
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  try {
    return dispatch(command, args, world);
  } catch (const ser::vision::VisionError& e) {
    return fail(world, command, std::string("error: ") + e.what() + "\n", 1);
  } catch (const ser::experiments::ConfigError& e) {
    return fail(world, command, std::string(e.what()) + "\n", 2);
  } catch (const ser::experiments::UsageError& e) {
    return fail(world, command, std::string(e.what()) + "\nRun 'ser " + command + " --help' for the options.\n", 2);
  } catch (const std::bad_alloc&) {
    return fail(world, command,
                "error: out of memory. A setting asks for more than this machine has (a model's size, a batch size, "
                "a feature's length?); lower it, or run on a machine with more memory\n",
                1);
  } catch (const std::filesystem::filesystem_error& e) {
    return fail(world, command,
                "error: " + e.code().message() + ": '" + e.path1().string() + "'" +
                    (e.path2().empty() ? "" : " and '" + e.path2().string() + "'") +
                    " (check that the folder exists, is writable and has free space)\n",
                1);
  } catch (const std::exception& e) {
    return fail(world, command, std::string("error: ") + e.what() + "\n", 1);
  }
}
