#include "experiments/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>

#include "common/input_file.hpp"
#include "common/rng.hpp"
#include "common/text.hpp"
#include "nn/sequential.hpp"

namespace ser::experiments {

namespace {

// Where a config's values come from: its file, and the --set overrides that
// replaced some of them (their lines are not in the file, so a value that
// came from one is reported as coming from it).
struct Source {
  std::string file;
  std::vector<std::string> overrides;
  // The override that set `dotted` or a part of the config above it, if any.
  const std::string* override_of(const std::string& dotted) const {
    for (const auto& o : overrides) {
      const std::string key = o.substr(0, o.find('='));
      if (dotted == key || dotted.rfind(key + ".", 0) == 0) return &o;
    }
    return nullptr;
  }
  // "file:line" of `node`, or "file: --set ..." when an override set `dotted`
  // or something inside it (a layer's argument, say).
  std::string origin(const std::string& dotted, const YAML::Node& node) const {
    const std::string* set = override_of(dotted);
    for (const auto& o : overrides)
      if (!set && o.rfind(dotted + ".", 0) == 0) set = &o;
    if (set) return file + ": --set " + *set;
    return file + ":" + std::to_string(node.Mark().line + 1);
  }
};

// A YAML map whose keys must all be known. Every error names the file, the
// line and the dotted key.
class Fields {
 public:
  Fields(YAML::Node node, std::string where, const Source& source, std::vector<std::string> known)
      : node_(std::move(node)), where_(std::move(where)), source_(source), file_(source.file), known_(std::move(known)) {
    if (!node_.IsMap()) fail(node_, "must be a mapping of keys to values");
    for (const auto& kv : node_) {
      const std::string key = kv.first.as<std::string>();
      if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
      std::string msg = "unknown key '" + key + "'" + did_you_mean(key, known_) + "; known:";
      for (const auto& k : known_) msg += " " + k;
      if (const std::string* set = source_.override_of(path(key)))
        throw ConfigError(file_ + ": --set " + *set + ": " + msg);
      fail(kv.first, msg, false);
    }
  }

  [[noreturn]] void fail(const YAML::Node& at, const std::string& what, bool with_where = true) const {
    const int line = at.Mark().line >= 0 ? at.Mark().line + 1 : node_.Mark().line + 1;
    throw ConfigError(file_ + ":" + std::to_string(line) + ": " + (with_where && !where_.empty() ? where_ + ": " : "") +
                      what);
  }
  [[noreturn]] void fail_key(const std::string& key, const std::string& what) const {
    if (const std::string* set = source_.override_of(path(key)))
      throw ConfigError(file_ + ": --set " + *set + ": " + path(key) + " " + what);
    fail(has(key) ? node_[key] : node_, path(key) + " " + what, false);
  }
  std::string path(const std::string& key) const { return where_.empty() ? key : where_ + "." + key; }
  bool has(const std::string& key) const { return node_[key].IsDefined() && !node_[key].IsNull(); }
  YAML::Node at(const std::string& key) const { return node_[key]; }
  int line(const std::string& key) const { return (has(key) ? node_[key] : node_).Mark().line + 1; }

  template <typename T>
  T get(const std::string& key, T fallback) const {
    return has(key) ? need<T>(key) : fallback;
  }
  template <typename T>
  T need(const std::string& key) const {
    if (!has(key)) fail(node_, "missing required key '" + path(key) + "'", false);
    const YAML::Node v = node_[key];
    if (!v.IsScalar()) fail_key(key, "must be a single value");
    try {
      if constexpr (std::is_same_v<T, bool>) {
        const std::string s = v.as<std::string>();
        if (s == "true" || s == "yes") return true;
        if (s == "false" || s == "no") return false;
        fail_key(key, "must be true or false, got '" + s + "'");
      } else {
        return v.as<T>();
      }
    } catch (const YAML::BadConversion&) {
      const char* type = std::is_integral_v<T> ? "an integer" : std::is_floating_point_v<T> ? "a number" : "text";
      fail_key(key, std::string("must be ") + type + ", got '" + v.as<std::string>() + "'");
    }
  }
  std::vector<std::string> strings(const std::string& key) const {
    if (!has(key)) return {};
    const YAML::Node v = node_[key];
    if (v.IsScalar()) return {v.as<std::string>()};
    if (!v.IsSequence()) fail_key(key, "must be a value or a list of values");
    std::vector<std::string> out;
    for (const auto& x : v) out.push_back(x.as<std::string>());
    return out;
  }
  // A value within [lo, hi]; NaN, infinities and anything outside are
  // refused with the allowed range in the message.
  template <typename T>
  T get_in(const std::string& key, T fallback, T lo, T hi, const std::string& meaning = "") const {
    const T v = get<T>(key, fallback);
    if (!(v >= lo && v <= hi)) {
      std::ostringstream m;
      m << "must be between " << lo << " and " << hi << meaning << ", got ";
      if (has(key)) m << node_[key].template as<std::string>(); else m << v;
      fail_key(key, m.str());
    }
    return v;
  }

 private:
  YAML::Node node_;
  std::string where_;
  const Source& source_;
  const std::string& file_;
  std::vector<std::string> known_;
};

// "3" as a list index; anything else is refused naming the key.
size_t list_index(const std::string& key, const std::string& part, size_t size) {
  size_t idx = 0;
  const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), idx);
  if (ec != std::errc() || end != part.data() + part.size())
    throw ConfigError("--set " + key + ": '" + part + "' names an element of a list; give its position (0 to " +
                      std::to_string(size ? size - 1 : 0) + "), as in model.layers.2.units");
  if (idx >= size)
    throw ConfigError("--set " + key + ": index " + part + " is past the end of the list (" + std::to_string(size) +
                      " elements)");
  return idx;
}

void apply_override(YAML::Node root, const std::string& assignment) {
  const size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError("--set " + assignment + ": expected key=value, for example training.epochs=5");
  const std::string key = assignment.substr(0, eq), value = assignment.substr(eq + 1);
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    const size_t dot = key.find('.', start);
    parts.push_back(key.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  // Walk with reset() so that assignments below replace the node in the tree.
  std::vector<YAML::Node> chain = {root};
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node cur = chain.back();
    YAML::Node next;
    if (cur.IsSequence()) {
      next.reset(cur[list_index(key, parts[i], cur.size())]);
    } else if (cur.IsScalar()) {
      throw ConfigError("--set " + key + ": '" + (i > 0 ? parts[i - 1] : key) + "' is a single value, it has no '" +
                        parts[i] + "'");
    } else {
      next.reset(cur[parts[i]]);
    }
    chain.push_back(next);
  }
  YAML::Node parent = chain.back();
  YAML::Node parsed;
  try {
    parsed = YAML::Load(value);
  } catch (const YAML::Exception& e) {
    throw ConfigError("--set " + assignment + ": the value is not valid YAML (" + e.msg + ")");
  }
  if (parent.IsSequence()) {
    parent[list_index(key, parts.back(), parent.size())] = parsed;
  } else if (parent.IsScalar()) {
    throw ConfigError("--set " + key + ": '" + (parts.size() > 1 ? parts[parts.size() - 2] : key) +
                      "' is a single value, it has no '" + parts.back() + "'");
  } else {
    parent[parts.back()] = parsed;
  }
}

// "hop must be ..." said at hop's line (or --set) as "features.hop must be ...".
[[noreturn]] void fail_setting(const Fields& f, const SettingError& e) {
  std::string what = e.what();
  if (what.rfind(e.key() + " ", 0) == 0) what.erase(0, e.key().size() + 1);
  f.fail_key(e.key(), what);
}

// Every registered setting the mapping gives, set through its registration.
void read_settings(const Fields& f, Settings& settings) {
  for (const Setting& s : settings.all()) {
    if (!f.has(s.name)) continue;
    try {
      s.set(f.need<std::string>(s.name));
    } catch (const SettingError& e) {
      fail_setting(f, e);
    }
  }
}

dsp::FeatureSpec feature_spec(const Fields& f, const std::string& kind_key, const std::string& kind) {
  dsp::FeatureSpec s;
  try {
    s.kind = dsp::parse_feature_kind(kind);
  } catch (const SettingError& e) {
    f.fail_key(kind_key, std::string("names an ") + e.what());
  }
  Settings settings = s.settings();
  read_settings(f, settings);
  try {
    s.validate();
  } catch (const SettingError& e) {
    fail_setting(f, e);
  }
  return s;
}

std::string layer_value(const YAML::Node& v, const std::string& where, const std::string& origin) {
  if (v.IsScalar()) return v.as<std::string>();
  std::string out;  // [3, 5] -> "3x5"
  if (v.IsSequence())
    for (const auto& x : v) {
      if (!x.IsScalar()) break;
      if (!out.empty()) out.push_back('x');
      out += x.as<std::string>();
    }
  if (out.empty()) throw ConfigError(origin + ": " + where + " must be a value or a list of values, such as 3 or [3, 5]");
  return out;
}

// yaml-cpp keeps the first of two equal keys and drops the other without a
// word; a config that says `epochs` twice is a mistake we name.
void refuse_duplicate_keys(const YAML::Node& node, const std::string& file) {
  if (node.IsMap()) {
    std::map<std::string, int> seen;
    for (const auto& kv : node) {
      if (!kv.first.IsScalar()) continue;
      const std::string key = kv.first.Scalar();
      const int line = kv.first.Mark().line + 1;
      if (const auto [it, fresh] = seen.emplace(key, line); !fresh)
        throw ConfigError(file + ":" + std::to_string(line) + ": key '" + key + "' is given twice (first at line " +
                          std::to_string(it->second) + "); keep one");
      refuse_duplicate_keys(kv.second, file);
    }
  } else if (node.IsSequence()) {
    for (const auto& x : node) refuse_duplicate_keys(x, file);
  }
}

// A run's folder is <output>/<name>/...: a name must stay one folder below `output`.
bool plain_folder_name(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.size() > 200) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char ch) {
    return std::isalnum(ch) || ch == '_' || ch == '-' || ch == '.' || ch == '+' || ch == '=' || ch == ',';
  });
}

ExperimentConfig read_config(YAML::Node root, const std::string& path, const std::vector<std::string>& overrides,
                             const std::string& data_dir);

}  // namespace

ExperimentConfig load_config(const std::string& path, const std::vector<std::string>& overrides,
                             const std::string& data_dir) {
  std::string text;
  try {
    text = read_input_file(path, "config file", kMaxConfigBytes);
  } catch (const InputFileError& e) {
    throw ConfigError(e.what());
  }
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(path + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg);
  }
  refuse_duplicate_keys(root, path);
  try {
    return read_config(root, path, overrides, data_dir);
  } catch (const YAML::Exception& e) {
    // A value of an unexpected shape that yaml-cpp cannot convert (a list where a name belongs, say).
    throw ConfigError(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg +
                      " (check the value's type against configs/*.yaml)");
  }
}

namespace {

ExperimentConfig read_config(YAML::Node root, const std::string& path, const std::vector<std::string>& overrides,
                             const std::string& data_dir) {
  for (const auto& o : overrides) apply_override(root, o);

  ExperimentConfig c;
  c.source = path;
  c.overrides = overrides;
  const Source src{path, overrides};
  YAML::Emitter resolved;
  resolved << root;
  c.fingerprint = fnv1a(resolved.c_str());
  if (!overrides.empty()) c.resolved_yaml = std::string(resolved.c_str()) + "\n";
  const Fields top(root, "", src,
                   {"name", "seed", "threads", "data", "features", "augmentation", "model", "training", "output"});
  c.name = top.need<std::string>("name");
  if (!plain_folder_name(c.name))
    top.fail_key("name", "must be a plain folder name (letters, digits and _ - . + = ,), got '" + c.name +
                             "': runs go to <output>/<name>/");
  c.seed = top.get<uint64_t>("seed", 42);
  c.threads = top.get_in<int>(
      "threads", 0, 0, 1024, " (0: all cores, fewer while other programs keep them busy; no result depends on it)");
  c.output = top.get<std::string>("output", "runs");

  // data
  if (!top.has("data")) top.fail(root, "missing required key 'data'");
  const Fields data(top.at("data"), "data", src,
                    {"corpus", "corpora", "root", "roots", "labels", "calm", "split", "song"});
  c.data.corpora = data.has("corpora") ? data.strings("corpora") : data.strings("corpus");
  if (c.data.corpora.empty()) data.fail(top.at("data"), "name the data: corpus: tess (or corpora: [tess, ravdess])");
  const std::vector<std::string> known_corpora = {"tess", "ravdess", "savee", "cremad", "folders", "fer2013", "mnist"};
  for (const auto& corpus : c.data.corpora)
    if (std::find(known_corpora.begin(), known_corpora.end(), corpus) == known_corpora.end())
      data.fail_key(data.has("corpora") ? "corpora" : "corpus",
                    "names unknown corpus '" + corpus + "' (tess, ravdess, savee, cremad, folders, fer2013, mnist)");
  c.data.song = data.get<bool>("song", true);
  if (data.has("song") && std::find(c.data.corpora.begin(), c.data.corpora.end(), "ravdess") == c.data.corpora.end())
    data.fail_key("song", "chooses RAVDESS's sung files; the data has no ravdess corpus");
  if (data.has("root")) {
    if (c.data.corpora.size() > 1) data.fail_key("root", "is for one corpus; give roots: {tess: ..., ravdess: ...}");
    c.data.roots[c.data.corpora[0]] = data.need<std::string>("root");
  }
  if (data.has("roots")) {
    const Fields roots(data.at("roots"), "data.roots", src, c.data.corpora);
    for (const auto& corpus : c.data.corpora)
      if (roots.has(corpus)) c.data.roots[corpus] = roots.need<std::string>(corpus);
  }
  for (const auto& corpus : c.data.corpora)
    if (!c.data.roots.count(corpus)) {
      if (data_dir.empty())
        data.fail(top.at("data"), "no root for '" + corpus + "': set data.root or the SER_DATA folder");
      c.data.roots[corpus] = (std::filesystem::path(data_dir) / corpus).string();
    }
  c.data.labels = data.get<std::string>("labels", c.data.corpora.size() > 1 ? "common" : "emotion");
  if (c.data.labels != "emotion" && c.data.labels != "speaker_emotion" && c.data.labels != "common")
    data.fail_key("labels", "must be emotion, speaker_emotion (TESS) or common");
  c.data.calm = data.get<std::string>("calm", "neutral");
  if (c.data.calm != "neutral" && c.data.calm != "keep" && c.data.calm != "drop")
    data.fail_key("calm", "must be neutral (RAVDESS calm counted as neutral), keep (an eighth class) or drop");
  if (data.has("split")) {
    const Fields split(data.at("split"), "data.split", src,
                       {"kind", "train", "validation", "test", "folds", "by", "test_speakers"});
    SplitConfig& s = c.data.split;
    s.kind = split.get<std::string>("kind", "random");
    const std::vector<std::string> kinds = {"random", "speaker", "word", "kfold", "loso", "partition"};
    if (std::find(kinds.begin(), kinds.end(), s.kind) == kinds.end())
      split.fail_key("kind", "must be random, speaker, word, kfold, loso or partition (the corpus's own train/test)");
    s.test = split.get_in<double>("test", 0.25, 0.0, 1.0);
    s.validation = split.get_in<double>("validation", 0.0, 0.0, 1.0);
    s.train = split.get_in<double>("train", 1.0 - s.test - s.validation, 0.0, 1.0);
    // Written so that NaN fails too.
    if (!(s.train > 0 && std::abs(s.train + s.validation + s.test - 1.0) <= 1e-9))
      split.fail(data.at("split"), "train, validation and test must be >= 0 and add up to 1 (train > 0)");
    s.folds = split.get_in<int>("folds", 5, 2, 1000);
    s.by = split.get<std::string>("by", s.kind == "loso" ? "speaker" : "none");
    if (s.by != "none" && s.by != "speaker" && s.by != "word") split.fail_key("by", "must be none, speaker or word");
    if (s.kind == "loso" && s.by == "none") split.fail_key("by", "must be speaker or word for loso (leave one group out)");
    s.test_speakers = split.strings("test_speakers");
  }

  // features (images need none)
  const bool images = c.data.corpora[0] == "fer2013" || c.data.corpora[0] == "mnist";
  if (top.has("features")) {
    std::vector<std::string> known = {"kind", "kinds", "frames", "layout", "scaling"};
    for (const auto& name : dsp::FeatureSpec{}.settings().names()) known.push_back(name);
    const Fields f(top.at("features"), "features", src, known);
    const std::string kind_key = f.has("kinds") ? "kinds" : "kind";
    for (const auto& k : f.strings(kind_key)) c.features.sets.push_back(feature_spec(f, kind_key, k));
    c.features.frames = f.get_in<int>("frames", 0, 0, kMaxFrames);
    c.features.layout = f.get<std::string>("layout", "flat");
    c.features.scaling = f.get<std::string>("scaling", "standardize");
    const std::vector<std::string> layouts = {"flat", "stacked", "image", "sequence", "pooled", "mean"};
    if (std::find(layouts.begin(), layouts.end(), c.features.layout) == layouts.end())
      f.fail_key("layout", "must be flat, stacked, image, sequence, pooled or mean");
    if (c.features.scaling == "minmax_per_frame" && c.features.layout != "image")
      f.fail_key("scaling", "minmax_per_frame scales the frames of an image; it needs layout: image");
    if (c.features.scaling != "standardize" && c.features.scaling != "minmax_per_frame" &&
        c.features.scaling != "per_file" && c.features.scaling != "none")
      f.fail_key("scaling", "must be standardize, per_file, minmax_per_frame or none");
    if (c.features.scaling == "per_file" && (c.features.layout == "pooled" || c.features.layout == "mean"))
      f.fail_key("scaling", "per_file normalises each feature over a file's frames; pooled and mean layouts have none");
    if (c.features.layout != "pooled" && c.features.layout != "mean" && c.features.frames < 1)
      f.fail_key("frames", "must be set (>= 1) for the " + c.features.layout + " layout: models need fixed sizes");
    if (c.features.sets.empty())
      f.fail(top.at("features"), "name the features: kind: mfcc (or kinds: [zcr, rms, mfcc])");
  } else if (!images) {
    top.fail(root, "missing required key 'features' (audio corpora need a feature description)");
  }

  // model
  if (!top.has("model")) top.fail(root, "missing required key 'model'");
  const Fields model(top.at("model"), "model", src, {"layers"});
  std::vector<std::string> layer_origins;  // "file:line" or "file: --set ..." of each layer
  const YAML::Node layers = model.at("layers");
  if (!layers.IsSequence() || layers.size() == 0) model.fail(top.at("model"), "model.layers must be a list of layers");
  for (size_t i = 0; i < layers.size(); ++i) {
    const YAML::Node l = layers[i];
    const std::string where = "model.layers[" + std::to_string(i) + "]";
    const std::string origin = src.origin("model.layers." + std::to_string(i), l);
    if (!l.IsMap() || !l["type"].IsDefined())
      throw ConfigError(origin + ": " + where +
                        ": each layer is a mapping with a 'type', for example {type: dense, units: 64}");
    if (!l["type"].IsScalar())
      throw ConfigError(origin + ": " + where + ": type must be a layer name such as dense or conv1d");
    nn::LayerSpec spec(l["type"].as<std::string>());
    for (const auto& kv : l) {
      const std::string key = kv.first.as<std::string>();
      if (key != "type") spec.set(key, layer_value(kv.second, where + "." + key, origin));
    }
    c.layers.push_back(spec);
    c.layer_lines.push_back(l.Mark().line + 1);
    layer_origins.push_back(origin);
  }

  // training
  if (top.has("training")) {
    const Fields t(top.at("training"), "training", src,
                   {"optimizer", "batch_size", "epochs", "schedule", "early_stopping", "best_on_validation",
                    "checkpoint_every", "clip_norm", "class_weights", "loss"});
    TrainingConfig& tc = c.training;
    if (t.get<std::string>("loss", "cross_entropy") != "cross_entropy")
      t.fail_key("loss", "must be cross_entropy (the only loss the classifiers use)");
    tc.batch_size = t.get_in<int>("batch_size", 32, 1, 1 << 16);
    tc.epochs = t.get_in<int>("epochs", 50, 1, kMaxEpochs);
    tc.best_on_validation = t.get<bool>("best_on_validation", true);
    tc.checkpoint_every = t.get_in<int>("checkpoint_every", 1, 0, kMaxEpochs, " (0: no checkpoints)");
    tc.clip_norm = t.get_in<double>("clip_norm", 0.0, 0.0, 1e6, " (0: no clipping)");
    tc.class_weights = t.get<bool>("class_weights", false);
    if (t.has("optimizer")) {
      const Fields o(t.at("optimizer"), "training.optimizer", src,
                     {"name", "lr", "beta1", "beta2", "epsilon", "momentum", "nesterov", "rho"});
      OptimizerConfig& oc = tc.optimizer;
      oc.name = o.get<std::string>("name", "adam");
      if (oc.name != "adam" && oc.name != "sgd" && oc.name != "rmsprop")
        o.fail_key("name", "must be adam, sgd or rmsprop");
      oc.lr = o.get_in<double>("lr", oc.name == "sgd" ? 0.01 : 1e-3, 1e-12, 10.0);
      // The moments' decay rates must stay below 1: at 1 Adam's bias correction divides by zero.
      oc.beta1 = o.get_in<double>("beta1", 0.9, 0.0, 0.999999);
      oc.beta2 = o.get_in<double>("beta2", 0.999, 0.0, 0.999999);
      oc.epsilon = o.get_in<double>("epsilon", 1e-7, 1e-30, 1.0);
      oc.momentum = o.get_in<double>("momentum", 0.0, 0.0, 0.999999);
      oc.nesterov = o.get<bool>("nesterov", false);
      oc.rho = o.get_in<double>("rho", 0.9, 0.0, 0.999999);
    }
    if (t.has("schedule")) {
      const Fields s(t.at("schedule"), "training.schedule", src, {"kind", "factor", "step", "patience"});
      tc.schedule = s.get<std::string>("kind", "none");
      if (tc.schedule != "none" && tc.schedule != "step" && tc.schedule != "plateau")
        s.fail_key("kind", "must be none, step or plateau");
      tc.schedule_factor = s.get_in<double>("factor", 0.1, 1e-6, 1.0);
      tc.schedule_step = s.get_in<int>("step", 10, 1, kMaxEpochs);
      tc.schedule_patience = s.get_in<int>("patience", 5, 0, kMaxEpochs);
    }
    if (t.has("early_stopping")) {
      const Fields e(t.at("early_stopping"), "training.early_stopping", src, {"patience"});
      tc.early_stopping_patience = e.get_in<int>("patience", 10, 0, kMaxEpochs, " (0: off)");
    }
  }
  if (top.has("augmentation")) {
    const Fields a(top.at("augmentation"), "augmentation", src, {"copies", "split_rows"});
    if (images) a.fail(top.at("augmentation"), "augments audio; image corpora have no audio to augment");
    c.augmentation.split_rows = a.get<bool>("split_rows", false);
    const YAML::Node copies = a.at("copies");
    if (!copies.IsSequence() || copies.size() == 0)
      a.fail(top.at("augmentation"),
             "copies must be a list of recipes, one per augmented copy, e.g. [{noise: 0.035}, {pitch: 0.7}]");
    for (size_t i = 0; i < copies.size(); ++i) {
      const Fields r(copies[i], "augmentation.copies[" + std::to_string(i) + "]", src,
                     {"stretch", "pitch", "shift_seconds", "gain_db", "noise", "snr_db"});
      datasets::AugmentRecipe recipe;
      // Ranges past which a recipe stops being augmentation: a stretch of
      // 0.01 makes every file 100 times longer, a pitch of 1000 semitones
      // asks for gigabytes, a gain of 1e6 dB gives infinities.
      recipe.stretch = r.get_in<double>("stretch", 1.0, 0.1, 10.0, " (1 keeps the speed)");
      recipe.pitch = r.get_in<double>("pitch", 0.0, -24.0, 24.0, " semitones");
      recipe.shift_seconds = r.get_in<double>("shift_seconds", 0.0, 0.0, 60.0);
      recipe.gain_db = r.get_in<double>("gain_db", 0.0, 0.0, 60.0);
      recipe.noise = r.get_in<double>("noise", 0.0, 0.0, 10.0, " (times the peak)");
      recipe.snr_db = r.get_in<double>("snr_db", 0.0, -30.0, 120.0, " dB (0: none)");
      if (recipe.identity()) r.fail(copies[i], "changes nothing: give stretch, pitch, shift_seconds, gain_db, noise or snr_db");
      c.augmentation.copies.push_back(recipe);
    }
  }

  // Shapes, before any data is touched: the layer at fault is named with its line.
  const nn::Shape input = model_input_shape(c);
  try {
    Rng rng(c.seed);
    nn::Sequential probe(c.layers, input, rng, c.name);
  } catch (const nn::LayerError& e) {
    std::string msg = e.what();  // "layer N (type): what"
    std::string origin = path + ":" + std::to_string(top.line("model"));
    if (msg.rfind("layer ", 0) == 0) {
      const size_t index = std::stoul(msg.substr(6));
      if (index < layer_origins.size()) origin = layer_origins[index];
      msg = "model.layers[" + std::to_string(index) + "]" + msg.substr(msg.find(' ', 6));
    }
    throw ConfigError(origin + ": " + msg + " (the model's input is " + input.str() + ")");
  }
  return c;
}

}  // namespace

nn::Shape model_input_shape(const ExperimentConfig& c) {
  const std::string& corpus = c.data.corpora.front();
  if (c.features.sets.empty()) {
    if (corpus == "fer2013") return nn::Shape{1, 48, 48};
    if (corpus == "mnist") return nn::Shape{1, 28, 28};
  }
  return c.features.sample_shape();
}

}  // namespace ser::experiments
