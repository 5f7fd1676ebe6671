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
#include "datasets/corpus_registry.hpp"
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

// The feature settings of a features: mapping, read once; every kind listed there shares them.
dsp::FeatureSpec feature_settings(const Fields& f) {
  dsp::FeatureSpec s;
  Settings settings = s.settings();
  read_settings(f, settings);
  return s;
}

// One kind with the shared settings, checked as a whole.
dsp::FeatureSpec feature_spec(const Fields& f, const std::string& kind_key, const std::string& kind,
                              dsp::FeatureSpec s) {
  try {
    s.kind = dsp::parse_feature_kind(kind);
  } catch (const SettingError& e) {
    f.fail_key(kind_key, std::string("names an ") + e.what());
  }
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

// A mapping read through a struct's registration: its keys are the
// registered settings plus `extra` (sub-mappings and lists read by hand).
Fields read_registered(const YAML::Node& node, const std::string& where, const Source& src, Settings& settings,
                       const std::vector<std::string>& extra = {}) {
  std::vector<std::string> known = settings.names();
  known.insert(known.end(), extra.begin(), extra.end());
  Fields f(node, where, src, known);
  read_settings(f, settings);
  return f;
}

template <class T>
Fields read_struct(const YAML::Node& node, const std::string& where, const Source& src, T& target,
                   std::vector<std::string> extra = {}) {
  Settings settings;
  target.register_settings(settings);
  return read_registered(node, where, src, settings, std::move(extra));
}

void read_split(const Fields& data, const Source& src, SplitConfig& s) {
  if (!data.has("split")) return;
  const Fields split = read_struct(data.at("split"), "data.split", src, s, {"test_speakers", "validation_speakers"});
  if (!split.has("train")) s.train = 1.0 - s.test - s.validation;
  // Written so that NaN fails too.
  if (!(s.train > 0 && std::abs(s.train + s.validation + s.test - 1.0) <= 1e-9))
    split.fail(data.at("split"), "train, validation and test must be >= 0 and add up to 1 (train > 0)");
  if (!split.has("by") && s.kind == SplitKind::loso) s.by = SplitBy::speaker;
  if (s.kind == SplitKind::loso && s.by == SplitBy::none)
    split.fail_key("by", "must be speaker, word or gender for loso (leave one group out)");
  s.test_speakers = split.strings("test_speakers");
  s.validation_speakers = split.strings("validation_speakers");
  for (const auto& v : s.validation_speakers)
    if (std::find(s.test_speakers.begin(), s.test_speakers.end(), v) != s.test_speakers.end())
      split.fail_key("validation_speakers", "speaker '" + v + "' is also a test speaker; a speaker belongs to one side");
}

// Whether any (or every) corpus of the data offers something: sung files,
// speaker x emotion classes, gender, intensity, statements.
bool any_offers(const DataConfig& d, bool datasets::CorpusInfo::*offers) {
  return std::any_of(d.corpora.begin(), d.corpora.end(),
                     [&](const std::string& n) { return datasets::corpus_info(n).*offers; });
}
bool every_offers(const DataConfig& d, bool datasets::CorpusInfo::*offers) {
  return std::all_of(d.corpora.begin(), d.corpora.end(),
                     [&](const std::string& n) { return datasets::corpus_info(n).*offers; });
}

// data.corpus (or data.corpora): known names; images or audio follows from them.
void read_corpora(const Fields& top, const Fields& data, DataConfig& d) {
  const std::string corpus_key = data.has("corpora") ? "corpora" : "corpus";
  d.corpora = data.strings(corpus_key);
  if (d.corpora.empty()) data.fail(top.at("data"), "name the data: corpus: tess (or corpora: [tess, ravdess])");
  for (const auto& corpus : d.corpora) {
    try {
      d.images = datasets::corpus_info(corpus).kind == datasets::CorpusKind::image;
    } catch (const std::invalid_argument& e) {
      data.fail_key(corpus_key, std::string("names an ") + e.what());
    }
  }
}

// Labels and filters that need something of the corpora: refused, with the
// corpora that have it, where the data lacks it.
void check_offers(const Fields& data, DataConfig& d) {
  if (data.has("song") && !any_offers(d, &datasets::CorpusInfo::song))
    data.fail_key("song", "chooses RAVDESS's sung files; the data has no ravdess corpus");
  if (!data.has("labels") && d.corpora.size() > 1) d.labels = LabelSet::common;
  if (d.labels == LabelSet::speaker_emotion && !any_offers(d, &datasets::CorpusInfo::speaker_emotion))
    data.fail_key("labels", "speaker_emotion needs a corpus with speaker x emotion classes (tess)");
  if (d.gender_labels() && !every_offers(d, &datasets::CorpusInfo::gender))
    data.fail_key("labels", "gender needs corpora that say each speaker's gender (tess, ravdess, savee, cremad)");
  if (d.intensity != IntensityFilter::all && !every_offers(d, &datasets::CorpusInfo::intensity))
    data.fail_key("intensity", "keeps files of one intensity; only ravdess and cremad record it");
  if (d.statement != StatementFilter::all && !every_offers(d, &datasets::CorpusInfo::statement))
    data.fail_key("statement", "keeps one of RAVDESS's two statements; every corpus must be ravdess");
}

// Each corpus's folder: data.root (one corpus), data.roots, or <SER_DATA>/<corpus>.
void read_roots(const Fields& top, const Fields& data, const Source& src, const std::string& data_dir, DataConfig& d) {
  if (data.has("root")) {
    if (d.corpora.size() > 1) data.fail_key("root", "is for one corpus; give roots: {tess: ..., ravdess: ...}");
    d.roots[d.corpora[0]] = data.need<std::string>("root");
  }
  if (data.has("roots")) {
    const Fields roots(data.at("roots"), "data.roots", src, d.corpora);
    for (const auto& corpus : d.corpora)
      if (roots.has(corpus)) d.roots[corpus] = roots.need<std::string>(corpus);
  }
  for (const auto& corpus : d.corpora)
    if (!d.roots.count(corpus)) {
      if (data_dir.empty())
        data.fail(top.at("data"), "no root for '" + corpus + "': set data.root or the SER_DATA folder");
      d.roots[corpus] = (std::filesystem::path(data_dir) / corpus).string();
    }
}

void read_data(const Fields& top, const YAML::Node& root, const Source& src, const std::string& data_dir,
               DataConfig& d) {
  if (!top.has("data")) top.fail(root, "missing required key 'data'");
  const Fields data = read_struct(top.at("data"), "data", src, d, {"corpus", "corpora", "root", "roots", "split"});
  read_corpora(top, data, d);
  check_offers(data, d);
  read_roots(top, data, src, data_dir, d);
  read_split(data, src, d.split);
  if (d.split.by == SplitBy::gender && !every_offers(d, &datasets::CorpusInfo::gender))
    data.fail_key("split", "by: gender needs corpora that say each speaker's gender (tess, ravdess, savee, cremad)");
}

void read_features(const Fields& top, const YAML::Node& root, const Source& src, ExperimentConfig& c) {
  if (!top.has("features")) {
    if (!c.data.images) top.fail(root, "missing required key 'features' (audio corpora need a feature description)");
    return;
  }
  if (c.data.images) top.fail_key("features", "describes audio features; " + c.data.corpora[0] + " holds images");
  // The feature settings (one FeatureSpec per kind) and the input's own (frames, layout, scaling).
  std::vector<std::string> known = {"kind", "kinds"};
  for (const auto& name : dsp::FeatureSpec{}.settings().names()) known.push_back(name);
  const Fields f = read_struct(top.at("features"), "features", src, c.features, known);
  const std::string kind_key = f.has("kinds") ? "kinds" : "kind";
  const dsp::FeatureSpec shared = feature_settings(f);
  for (const auto& k : f.strings(kind_key)) c.features.sets.push_back(feature_spec(f, kind_key, k, shared));
  if (c.features.sets.empty()) f.fail(top.at("features"), "name the features: kind: mfcc (or kinds: [zcr, rms, mfcc])");
  try {
    c.features.validate();
  } catch (const SettingError& e) {
    fail_setting(f, e);
  }
}

// The layers as written; each layer's "file:line" (or --set) for messages.
std::vector<std::string> read_model(const Fields& top, const YAML::Node& root, const Source& src,
                                    ExperimentConfig& c) {
  if (!top.has("model")) top.fail(root, "missing required key 'model'");
  const Fields model = read_struct(top.at("model"), "model", src, c.model, {"layers", "init"});
  if (c.model.classical()) {  // model.layers stays for kind network, so that one config sweeps model.kind
    if (model.has("init")) model.fail_key("init", "starts a network from a model file; a classical kind is fitted");
    c.layers = {nn::LayerSpec("flatten")};
    c.layer_lines = {model.line("kind")};
    return {src.origin("model.kind", top.at("model"))};
  }
  if (model.has("init")) {  // relative to the config's folder, so a config and its model travel together
    const std::filesystem::path given = model.get<std::string>("init", "");
    const std::filesystem::path path = given.is_absolute() ? given : std::filesystem::path(src.file).parent_path() / given;
    if (!std::filesystem::is_regular_file(path))
      model.fail_key("init", "names no model file: '" + path.string() +
                                 "' (a .sermodel: `ser import` writes one from ONNX; a run folder holds model.sermodel)");
    c.init = path.string();
  }
  std::vector<std::string> origins;
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
    origins.push_back(origin);
  }
  return origins;
}

void read_training(const Fields& top, const Source& src, TrainingConfig& tc) {
  if (!top.has("training")) return;
  const Fields t = read_struct(top.at("training"), "training", src, tc, {"optimizer", "schedule", "early_stopping", "loss"});
  if (t.get<std::string>("loss", "cross_entropy") != "cross_entropy")
    t.fail_key("loss", "must be cross_entropy (the only loss the classifiers use)");
  if (t.has("optimizer")) {
    const Fields o = read_struct(t.at("optimizer"), "training.optimizer", src, tc.optimizer);
    if (!o.has("lr") && tc.optimizer.kind == OptimizerKind::sgd) tc.optimizer.lr = 0.01;
  }
  if (t.has("schedule")) read_struct(t.at("schedule"), "training.schedule", src, tc.schedule);
  if (t.has("early_stopping")) {
    const Fields e(t.at("early_stopping"), "training.early_stopping", src, {"patience"});
    tc.early_stopping_patience = e.get_in<int>("patience", 10, 0, kMaxEpochs, " (0: off)");
  }
}

void read_augmentation(const Fields& top, const Source& src, ExperimentConfig& c) {
  if (!top.has("augmentation")) return;
  const Fields a(top.at("augmentation"), "augmentation", src,
                 {"copies", "split_rows", "image", "spec", "wave", "mixup"});
  if (a.has("mixup")) {
    const Fields m = read_struct(a.at("mixup"), "augmentation.mixup", src, c.augmentation.mixup);
    if (c.augmentation.mixup.identity()) m.fail(a.at("mixup"), "mixes nothing: give alpha > 0 (0.2 is usual)");
  }
  if (c.data.images) {
    for (const char* audio_only : {"copies", "split_rows", "spec", "wave"})
      if (a.has(audio_only))
        a.fail(a.at(audio_only), std::string(audio_only) + " augments audio; an image corpus takes augmentation.image, "
                                 "e.g. {flip: true, shift: 0.1, rotation: 10, zoom: 0.1}, and mixup");
    if (a.has("image")) read_struct(a.at("image"), "augmentation.image", src, c.augmentation.image);
    return;
  }
  if (a.has("image")) a.fail(a.at("image"), "augments images; this corpus holds audio (use copies)");
  c.augmentation.split_rows = a.get<bool>("split_rows", false);
  if (a.has("spec")) {
    const Fields s = read_struct(a.at("spec"), "augmentation.spec", src, c.augmentation.spec);
    if (c.features.pooled() || c.features.layout == Layout::stacked)
      s.fail(a.at("spec"), std::string("masks frames and features of one matrix; layout ") +
                               name_of(c.features.layout, kLayouts) + " is not one (use image, sequence or flat)");
    if (c.augmentation.spec.identity())
      s.fail(a.at("spec"), "masks nothing: give time_masks with time_width, or freq_masks with freq_width");
  }
  if (a.has("wave")) {
    const Fields w = read_struct(a.at("wave"), "augmentation.wave", src, c.augmentation.wave);
    try {
      c.augmentation.wave.validate();
    } catch (const SettingError& e) {
      w.fail(a.at("wave"), e.what());
    }
    if (c.augmentation.wave.identity())
      w.fail(a.at("wave"), "changes nothing: give speed (0.1), gain_db or noise_probability");
  }
  if (!a.has("copies")) return;
  const YAML::Node copies = a.at("copies");
  if (!copies.IsSequence() || copies.size() == 0)
    a.fail(top.at("augmentation"),
           "copies must be a list of recipes, one per augmented copy, e.g. [{noise: 0.035}, {pitch: 0.7}]");
  for (size_t i = 0; i < copies.size(); ++i) {
    datasets::AugmentRecipe recipe;
    const Fields r = read_struct(copies[i], "augmentation.copies[" + std::to_string(i) + "]", src, recipe);
    if (recipe.identity()) r.fail(copies[i], "changes nothing: give stretch, pitch, shift_seconds, gain_db, noise or snr_db");
    c.augmentation.copies.push_back(recipe);
  }
}

// Shapes, before any data is touched: the layer at fault is named with its line.
void check_shapes(const ExperimentConfig& c, const Fields& top, const std::vector<std::string>& layer_origins) {
  const nn::Shape input = model_input_shape(c);
  try {
    Rng rng(c.seed);
    nn::Sequential probe(c.layers, input, rng, c.name);
  } catch (const nn::LayerError& e) {
    const std::string tail = " (the model's input is " + input.str() + ")";
    const auto i = static_cast<size_t>(e.index());
    if (e.index() >= 0 && i < layer_origins.size())
      throw ConfigError(layer_origins[i] + ": model.layers[" + std::to_string(i) + "] (" + e.type() + "): " +
                        e.reason() + tail);
    throw ConfigError(c.source + ":" + std::to_string(top.line("model")) + ": " + e.what() + tail);
  }
}

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
  read_data(top, root, src, data_dir, c.data);
  read_features(top, root, src, c);
  const std::vector<std::string> layer_origins = read_model(top, root, src, c);
  read_training(top, src, c.training);
  read_augmentation(top, src, c);
  check_shapes(c, top, layer_origins);
  return c;
}

}  // namespace

void SplitConfig::register_settings(Settings& s) {
  s.choice("kind", kind, kSplitKinds, "random (stratified), by speaker or word, kfold, loso, or the corpus's partition");
  s.number("test", test, 0, 1, "share of the files held out for testing");
  s.number("validation", validation, 0, 1, "share held out for validation");
  s.number("train", train, 0, 1, "share for training (default: what test and validation leave)");
  s.integer("folds", folds, 2, 1000, "kfold: the number of folds");
  s.integer("seed", seed, -1, 2147483647,
            "seed of the split alone, so that runs of other seeds share it (an ensemble of them is then chosen on a "
            "validation part none of them trained on)")
      .special(-1, "the run's seed");
  s.choice("by", by, kSplitBys,
           "kfold: the groups kept whole; loso: the group left out (default speaker; gender: train on one, test on "
           "the other)");
}

void DataConfig::register_settings(Settings& s) {
  s.choice("labels", labels, kLabelSets,
           "emotion, speaker_emotion (TESS's 14 classes), common (default for several corpora), gender (female, "
           "male) or gender_emotion (female_angry, ...)");
  s.choice("calm", calm, kCalmPolicies, "labels common: RAVDESS calm counted as neutral, kept as an eighth class, or dropped");
  s.flag("song", song, "RAVDESS: include the sung files (vocal channel 02)");
  s.choice("intensity", intensity, kIntensityFilters,
           "keep one intensity: RAVDESS normal or strong, CREMA-D low, medium, high or unspecified");
  s.choice("statement", statement, kStatementFilters, "RAVDESS: keep one statement (kids or dogs)");
}

void ClassicalConfig::register_settings(Settings& s) {
  s.choice("kind", kind, kModelKinds,
           "network (model.layers, trained by epochs) or a classical baseline fitted to its optimum on the scaled "
           "features: logistic (multinomial, L2, L-BFGS), linear_svm (hinge loss, one-vs-rest, dual coordinate "
           "descent) or knn (model.layers is then ignored)");
  s.number("C", C, 1e-12, 1e12, "logistic, linear_svm: inverse regularisation strength, as scikit-learn's C");
  s.integer("k", k, 1, 100000, "knn: the neighbours that vote");
  s.integer("max_iter", max_iter, 1, 1000000, "logistic: L-BFGS iterations; linear_svm: passes over the rows");
}

void OptimizerConfig::register_settings(Settings& s) {
  s.choice("name", kind, kOptimizers, "the optimiser");
  s.number("lr", lr, 1e-12, 10.0, "learning rate (default 0.01 for sgd, 0.001 otherwise)");
  // The moments' decay rates stay below 1: at 1 Adam's bias correction divides by zero.
  s.number("beta1", beta1, 0.0, 0.999999, "Adam: decay of the first moment");
  s.number("beta2", beta2, 0.0, 0.999999, "Adam: decay of the second moment");
  s.number("epsilon", epsilon, 1e-30, 1.0, "Adam, RMSprop: added to the denominator");
  s.number("momentum", momentum, 0.0, 0.999999, "SGD, RMSprop: momentum");
  s.flag("nesterov", nesterov, "SGD: Nesterov momentum");
  s.number("rho", rho, 0.0, 0.999999, "RMSprop: decay of the squared-gradient average");
}

void ScheduleConfig::register_settings(Settings& s) {
  s.choice("kind", kind, kSchedules,
           "learning-rate schedule: step decay, ReduceLROnPlateau or cosine decay to 0 over the epochs after warm-up");
  s.number("factor", factor, 1e-6, 0.999999, "the learning rate is multiplied by this");
  s.integer("step", step, 1, kMaxEpochs, "step: epochs between decays");
  s.integer("patience", patience, 0, kMaxEpochs, "plateau: epochs without improvement before a decay");
  s.integer("warmup", warmup, 0, kMaxEpochs, "epochs whose rate rises linearly to the optimizer's (epoch k of n: k/n of it)");
}

void TrainingConfig::register_settings(Settings& s) {
  s.integer("batch_size", batch_size, 1, 1 << 16, "samples per step");
  s.integer("epochs", epochs, 1, kMaxEpochs, "passes over the training files");
  s.flag("best_on_validation", best_on_validation, "keep the weights of the best validation epoch");
  s.integer("checkpoint_every", checkpoint_every, 1, kMaxEpochs, "epochs between checkpoints").special(0, "no checkpoints");
  s.number("clip_norm", clip_norm, 0.0, 1e6, "clip the gradients' global norm to this (0: no clipping)");
  s.flag("class_weights", class_weights, "weight the loss by inverse class frequency");
  s.number("label_smoothing", label_smoothing, 0.0, 0.99,
           "share of each target spread over all classes (PyTorch's label_smoothing)");
  s.integer("shards", shards, 1, 4096,
            "cut each batch into this many shards, each summed apart, then in shard order: mpirun -np N (N <= "
            "shards) shares them out and gives the same bits for every such N");
}

nn::Shape model_input_shape(const ExperimentConfig& c) {
  if (c.features.sets.empty() && c.data.images) {
    const auto& info = datasets::corpus_info(c.data.corpora.front());
    return nn::Shape{1, info.image_height, info.image_width};
  }
  return c.features.sample_shape();
}

}  // namespace ser::experiments
