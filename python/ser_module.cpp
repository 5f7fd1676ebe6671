// `import ser`: ser from Python (pybind11). Features with librosa's names and
// defaults (ser.feature.mfcc(y=y, sr=sr, n_mfcc=40)), audio loading as
// librosa.load, prediction, training and run folders. The GIL is released
// while ser works; NumPy arrays come back without a copy where ser's result
// already has NumPy's layout (float64 features, loaded audio). Every input
// the command line refuses is a Python exception here: ValueError for a bad
// value (naming the setting), TypeError for an unknown keyword or dtype,
// FileNotFoundError for a missing file, RuntimeError for a file that cannot
// be read.
#include <pybind11/iostream.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

#include "common/data_dir.hpp"
#include "common/text.hpp"
#include "dsp/audio.hpp"
#include "dsp/delta.hpp"
#include "dsp/feature_spec.hpp"
#include "experiments/arg_parser.hpp"
#include "experiments/config.hpp"
#include "experiments/predict.hpp"
#include "experiments/runner.hpp"

namespace py = pybind11;
namespace fs = std::filesystem;
using namespace ser;

namespace {

// ---- NumPy in and out ----

// A vector handed to NumPy: the array owns it through a capsule, no copy.
template <class T>
py::array_t<T> adopt(std::vector<T>&& v, std::vector<py::ssize_t> shape) {
  auto* owned = new std::vector<T>(std::move(v));  // freed by the capsule (NumPy's base object)
  py::capsule base(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>(shape, owned->data(), base);
}

// y as float32 samples: a view of a contiguous float32 array, else a converted copy.
struct Signal {
  std::vector<float> copy;
  std::span<const float> samples;
  bool float64 = false;
};

Signal signal_of(const py::array& y) {
  if (y.ndim() != 1) {
    std::string shape;
    for (py::ssize_t k = 0; k < y.ndim(); ++k) shape += (k ? ", " : "") + std::to_string(y.shape(k));
    throw py::value_error("y must be mono audio, a 1-D array; got shape (" + shape + ")");
  }
  Signal s;
  if (py::isinstance<py::array_t<float>>(y) && y.strides(0) == sizeof(float)) {
    s.samples = {static_cast<const float*>(y.data()), static_cast<size_t>(y.shape(0))};
  } else if (py::isinstance<py::array_t<float>>(y) || py::isinstance<py::array_t<double>>(y)) {
    s.float64 = py::isinstance<py::array_t<double>>(y);
    const auto any = py::array_t<double, py::array::forcecast>::ensure(y);
    auto r = any.unchecked<1>();
    s.copy.resize(static_cast<size_t>(r.shape(0)));
    for (py::ssize_t i = 0; i < r.shape(0); ++i) s.copy[static_cast<size_t>(i)] = static_cast<float>(r(i));
    s.samples = s.copy;
  } else {
    throw py::type_error("y must be a float32 or float64 NumPy array, got dtype " +
                         py::str(y.dtype()).cast<std::string>());
  }
  for (float v : s.samples)
    if (!std::isfinite(v)) throw py::value_error("y is not finite everywhere (NaN or infinity)");
  return s;
}

// [rows, cols] to NumPy: float64 as ser computed it (no copy), or float32 as librosa gives for float32 audio.
py::array matrix_out(dsp::Matrix&& m, bool float64) {
  const std::vector<py::ssize_t> shape = {m.rows, m.cols};
  if (float64) return adopt(std::move(m.data), shape);
  py::array_t<float> out(shape);
  float* o = out.mutable_data();
  for (size_t i = 0; i < m.data.size(); ++i) o[i] = static_cast<float>(m.data[i]);
  return out;
}

// ---- librosa's keywords onto ser's settings ----

// A Python value as a setting's text: True/False, None ("none"), numbers, names.
std::string setting_text(const py::handle& v) {
  if (v.is_none()) return "none";
  if (py::isinstance<py::bool_>(v)) return v.cast<bool>() ? "true" : "false";
  if (py::isinstance<py::str>(v)) return v.cast<std::string>();
  if (py::isinstance<py::int_>(v)) return std::to_string(v.cast<long long>());
  if (py::isinstance<py::float_>(v)) return format_number(v.cast<double>());
  throw py::type_error("expected a number, a name, True/False or None, got " + py::repr(v).cast<std::string>());
}

// One librosa function: its ser kind, its own keyword names for ser's
// settings, and the librosa keywords ser computes only at their default.
struct FeatureFunction {
  dsp::FeatureKind kind;
  std::map<std::string, std::string> renamed;  // librosa keyword -> ser setting
  std::map<std::string, std::string> fixed;    // librosa keyword -> the one value ser computes (as text)
};

const std::map<std::string, std::string> kFrames = {{"hop_length", "hop"}};

FeatureFunction function(dsp::FeatureKind kind, std::map<std::string, std::string> renamed = {},
                         std::map<std::string, std::string> fixed = {}) {
  renamed.insert(kFrames.begin(), kFrames.end());
  return {kind, std::move(renamed), std::move(fixed)};
}

const std::map<std::string, FeatureFunction>& feature_functions() {
  using K = dsp::FeatureKind;
  static const std::map<std::string, FeatureFunction> table = {
      {"mfcc", function(K::mfcc, {{"norm", "dct_norm"}}, {{"dct_type", "2"}, {"power", "2"}})},
      {"melspectrogram", function(K::mel, {{"norm", "mel_norm"}}, {{"power", "2"}})},
      {"chroma_stft", function(K::chroma, {}, {{"n_chroma", "12"}, {"power", "2"}})},
      {"zero_crossing_rate", function(K::zcr, {{"frame_length", "n_fft"}})},
      {"rms", function(K::rms, {{"frame_length", "n_fft"}})},
      {"spectral_centroid", function(K::centroid)},
      {"spectral_bandwidth", function(K::bandwidth, {{"p", "bandwidth_p"}})},
      {"spectral_rolloff", function(K::rolloff)},
      {"spectral_flatness", function(K::flatness, {{"power", "flatness_power"}})},
      {"spectral_contrast", function(K::contrast, {{"n_bands", "contrast_bands"},
                                                   {"fmin", "contrast_fmin"},
                                                   {"quantile", "contrast_quantile"},
                                                   {"linear", "contrast_linear"}})},
  };
  return table;
}

// The spec a call asks for, as `ser features --kind ...` with the same settings builds it.
dsp::FeatureSpec spec_of(const FeatureFunction& f, const std::string& name, const py::kwargs& kwargs) {
  dsp::FeatureSpec spec;
  spec.kind = f.kind;
  Settings settings = spec.settings();
  for (const auto& [key_handle, value] : kwargs) {
    const std::string key = key_handle.cast<std::string>();
    if (const auto fixed = f.fixed.find(key); fixed != f.fixed.end()) {
      if (setting_text(value) != fixed->second && !(fixed->second == "2" && setting_text(value) == "2.0"))
        throw py::value_error(name + ": ser computes " + key + "=" + fixed->second + " only");
      continue;
    }
    if (key == "sample_rate" || key == "offset" || key == "duration" || key == "resample")
      throw py::type_error(name + "(): " + key + " is for loading; pass it to ser.load (y is already decoded)");
    const auto renamed = f.renamed.find(key);
    Setting* s = settings.find(renamed != f.renamed.end() ? renamed->second : key);
    if (!s) {
      std::string known;
      for (const auto& n : settings.names()) known += " " + n;
      for (const auto& [alias, _] : f.renamed) known += " " + alias;
      throw py::type_error(name + "() got an unexpected keyword argument '" + key + "'; ser's settings:" + known);
    }
    s->set(setting_text(value));  // SettingError (ValueError) names the setting and what it allows
  }
  spec.validate();
  return spec;
}

// Extractors by recipe: an extractor keeps its FFT plans, filterbank and DCT
// per sample rate, which a notebook calling mfcc file after file would
// otherwise rebuild each time. A few recipes are kept; thread-safe to call.
std::shared_ptr<const dsp::FeatureExtractor> extractor_for(const dsp::FeatureSpec& spec) {
  static std::mutex lock;
  static std::map<std::string, std::shared_ptr<const dsp::FeatureExtractor>> kept;
  const std::string key = spec.canonical();
  std::lock_guard hold(lock);
  if (const auto it = kept.find(key); it != kept.end()) return it->second;
  if (kept.size() >= 16) kept.clear();
  return kept[key] = std::make_shared<const dsp::FeatureExtractor>(spec);
}

py::array compute(const std::string& name, const py::object& y, int sr, const py::kwargs& kwargs) {
  if (y.is_none()) throw py::value_error(name + ": ser computes from audio: give y (a spectrogram S is not read)");
  if (kwargs.contains("S") && !kwargs["S"].is_none()) throw py::value_error(name + ": S is not supported; give y");
  py::kwargs settings;
  for (const auto& [k, v] : kwargs)
    if (k.cast<std::string>() != "S") settings[k] = v;
  if (sr < 1) throw py::value_error(name + ": sr must be a positive sample rate, got " + std::to_string(sr));
  const dsp::FeatureSpec spec = spec_of(feature_functions().at(name), name, settings);
  const Signal s = signal_of(py::array::ensure(y));
  dsp::Matrix m;
  {
    py::gil_scoped_release free;
    m = (*extractor_for(spec))(s.samples, sr);
  }
  return matrix_out(std::move(m), s.float64);
}

py::array delta(const py::array& data, int width, int order, int axis) {
  if (data.ndim() != 2) throw py::value_error("delta: data must be 2-D [features, frames]");
  if (axis != -1 && axis != 1) throw py::value_error("delta: ser differentiates along the last axis (axis=-1)");
  const bool float64 = py::isinstance<py::array_t<double>>(data);
  const auto any = py::array_t<double, py::array::forcecast | py::array::c_style>::ensure(data);
  if (!any) throw py::type_error("delta: data must be a numeric array");
  dsp::Matrix m(any.shape(0), any.shape(1));
  std::copy(any.data(), any.data() + any.size(), m.data.begin());
  dsp::Matrix d;
  {
    py::gil_scoped_release free;
    d = dsp::delta(m, width, order);
  }
  return matrix_out(std::move(d), float64);
}

// ---- files, models, runs ----

void require_file(const std::string& path) {
  if (!fs::exists(path)) {
    PyErr_SetString(PyExc_FileNotFoundError, ("No such file: '" + path + "'").c_str());
    throw py::error_already_set();
  }
}

py::tuple load(const std::string& path, std::optional<int> sr, double offset, std::optional<double> duration) {
  require_file(path);
  dsp::LoadOptions o;
  o.sample_rate = sr.value_or(0);
  o.offset = offset;
  o.duration = duration.value_or(-1.0);
  Settings s;
  o.register_settings(s);
  s.check();  // the CLI's ranges: negative offsets, rates outside 1-768 kHz
  dsp::Audio a;
  {
    py::gil_scoped_release free;
    a = dsp::load_audio(path, o);
  }
  const auto n = static_cast<py::ssize_t>(a.samples.size());
  return py::make_tuple(adopt(std::move(a.samples), {n}), a.sample_rate);
}

py::dict prediction_dict(const std::string& file, const experiments::EmotionPrediction& p) {
  py::dict d, all;
  for (const auto& [label, prob] : p.probabilities) all[py::str(label)] = prob;
  d["file"] = file;
  d["emotion"] = p.emotion;
  d["probability"] = p.probability;
  d["probabilities"] = all;
  return d;
}

py::list predict(const py::object& paths_arg, const py::object& models_arg, int threads, const std::string& errors) {
  if (errors != "raise" && errors != "skip") throw py::value_error("errors must be 'raise' or 'skip'");
  auto list_of = [](const py::object& o) {
    return py::isinstance<py::str>(o) || py::isinstance(o, py::module_::import("os").attr("PathLike"))
               ? std::vector<std::string>{py::str(o).cast<std::string>()}
               : o.cast<std::vector<std::string>>();
  };
  const std::vector<std::string> paths = list_of(paths_arg), models = list_of(models_arg);
  for (const auto& m : models) require_file(m);
  py::list out;
  std::vector<std::pair<std::string, std::variant<experiments::EmotionPrediction, std::string>>> results;
  {
    py::gil_scoped_release free;
    experiments::EnsemblePredictor predictor(models, threads);
    for (const auto& path : paths) {
      try {
        results.emplace_back(path, predictor.predict(path));
      } catch (const std::exception& e) {
        if (errors == "raise") throw;
        results.emplace_back(path, std::string(e.what()));
      }
    }
  }
  for (const auto& [path, r] : results) {
    if (const auto* p = std::get_if<experiments::EmotionPrediction>(&r)) {
      out.append(prediction_dict(path, *p));
    } else {
      py::dict d;
      d["file"] = path;
      d["error"] = std::get<std::string>(r);
      out.append(d);
    }
  }
  return out;
}

// An override's value as YAML: lists and dicts in flow style, booleans and None as YAML says them.
std::string yaml_value(const py::handle& v) {
  if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v)) {
    std::string s = "[";
    for (const auto& item : v) s += (s.size() > 1 ? ", " : "") + yaml_value(item);
    return s + "]";
  }
  if (py::isinstance<py::dict>(v)) {
    std::string s = "{";
    for (const auto& [k, item] : v.cast<py::dict>())
      s += (s.size() > 1 ? ", " : "") + k.cast<std::string>() + ": " + yaml_value(item);
    return s + "}";
  }
  if (v.is_none()) return "null";
  return setting_text(v);
}

std::string train(const std::string& config_path, const py::dict& overrides, std::optional<std::string> out,
                  std::optional<std::string> cache, bool verbose) {
  require_file(config_path);
  std::vector<std::string> sets;
  for (const auto& [k, v] : overrides) sets.push_back(k.cast<std::string>() + "=" + yaml_value(v));
  const experiments::ExperimentConfig config = experiments::load_config(config_path, sets, data_dir());
  std::string run_dir = out.value_or("");
  if (run_dir.empty()) {
    char stamp[32];
    const std::time_t now = std::time(nullptr);
    std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", std::localtime(&now));
    run_dir = config.output + "/" + config.name + "/" + stamp;
  }
  const std::string cache_dir = cache.value_or(config.output + "/cache");
  std::ostringstream quiet;
  // The log goes to Python's sys.stdout (a notebook's cell), written under the GIL as it comes.
  py::scoped_ostream_redirect to_python(std::cout, py::module_::import("sys").attr("stdout"));
  std::ostream& log = verbose ? std::cout : quiet;
  experiments::TrainResult r;
  {
    py::gil_scoped_release free;
    r = experiments::train_experiment(config, run_dir, log, cache_dir);
  }
  return r.run_dir;
}

py::object json_file(const fs::path& p) { return py::module_::import("json").attr("loads")(read_file(p.string())); }

// history.csv as columns: {"epoch": [1, 2, ...], "train_loss": [...], ...}
py::dict history_of(const fs::path& p) {
  std::ifstream in(p);
  std::string header;
  std::getline(in, header);
  std::vector<std::string> names;
  std::stringstream hs(header);
  for (std::string n; std::getline(hs, n, ',');) names.push_back(n);
  std::vector<py::list> columns(names.size());
  for (std::string line; std::getline(in, line);) {
    std::stringstream ls(line);
    size_t k = 0;
    for (std::string cell; std::getline(ls, cell, ',') && k < names.size(); ++k)
      columns[k].append(cell == "nan" ? std::nan("") : std::stod(cell));
  }
  py::dict d;
  for (size_t k = 0; k < names.size(); ++k) d[py::str(names[k])] = columns[k];
  return d;
}

py::dict load_run(const std::string& dir) {
  const fs::path d(dir);
  if (!fs::exists(d / "metrics.json"))
    throw py::value_error("'" + dir +
                          "' is not a finished run folder (no metrics.json): give a folder ser train wrote");
  py::dict run;
  run["path"] = fs::absolute(d).string();
  run["metrics"] = json_file(d / "metrics.json");
  run["run"] = fs::exists(d / "run.json") ? json_file(d / "run.json") : py::object(py::none());
  run["timings"] = fs::exists(d / "timings.json") ? json_file(d / "timings.json") : py::object(py::none());
  run["history"] = fs::exists(d / "history.csv") ? py::object(history_of(d / "history.csv")) : py::object(py::none());
  run["config"] = fs::exists(d / "config.yaml") ? py::object(py::str(read_file((d / "config.yaml").string())))
                                                : py::object(py::none());
  run["model"] = fs::exists(d / "model.sermodel") ? py::object(py::str((fs::absolute(d) / "model.sermodel").string()))
                                                  : py::object(py::none());
  return run;
}

void add_features(py::module_& m) {
  py::module_ feature = m.def_submodule("feature", "librosa.feature's functions, computed by ser (dsp/)");
  for (const auto& [name, f] : feature_functions()) {
    const std::string fname = name;
    feature.def(
        fname.c_str(),
        [fname](const py::object& y, int sr, const py::kwargs& kwargs) { return compute(fname, y, sr, kwargs); },
        py::kw_only(), py::arg("y") = py::none(), py::arg("sr") = 22050,
        ("librosa.feature." + fname + " with librosa 0.10's keywords and defaults (ser kind '" +
         dsp::kind_info(f.kind).name + "'). Returns [features, frames]: float32 for float32 y, float64 for float64.")
            .c_str());
  }
  feature.def("delta", &delta, py::arg("data"), py::kw_only(), py::arg("width") = 9, py::arg("order") = 1,
              py::arg("axis") = -1, "librosa.feature.delta: the Savitzky-Golay derivative along the last axis");
}

}  // namespace

PYBIND11_MODULE(ser, m) {
  m.doc() = "ser: speech emotion recognition in C++. Features as librosa computes them, models ser trains.";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const experiments::ConfigError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const experiments::UsageError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });
  m.def("load", &load, py::arg("path"), py::kw_only(), py::arg("sr") = py::none(), py::arg("offset") = 0.0,
        py::arg("duration") = py::none(),
        "librosa.load: (y, sr), mono float32. sr=None keeps the file's rate (librosa's own default is 22050: "
        "pass sr=22050 for that); offset and duration in seconds.");
  add_features(m);
  m.def("predict", &predict, py::arg("paths"), py::arg("model"), py::kw_only(), py::arg("threads") = 0,
        py::arg("errors") = "raise",
        "The emotion of each recording with a trained model (a run folder or .sermodel; several: an ensemble). "
        "A list of dicts: file, emotion, probability, probabilities. errors='skip' keeps going past a bad file "
        "and gives it an 'error' entry instead.");
  m.def("train", &train, py::arg("config"), py::arg("overrides") = py::dict(), py::kw_only(),
        py::arg("out") = py::none(), py::arg("cache") = py::none(), py::arg("verbose") = true,
        "ser train: runs the experiment CONFIG (with overrides such as {'training.epochs': 5}) and returns the run "
        "folder. The data folder is $SER_DATA, as for the command line.");
  m.def("load_run", &load_run, py::arg("dir"),
        "A finished run as Python objects: metrics, history (columns), run (what ran), timings, config (YAML text), "
        "model (its path).");
}
