#include "experiments/checkpoint.hpp"

#include <algorithm>
#include <cmath>

#include "common/bytes.hpp"
#include "common/framed_file.hpp"
#include "common/input_file.hpp"
#include "common/settings.hpp"
#include "common/text.hpp"
#include "experiments/config.hpp"
#include "nn/model_file.hpp"

namespace ser::experiments {

namespace {
constexpr FrameKind kCheckpointFrame{"SERCHKPT", 1, "ser checkpoint", "training state"};
// Two model files, the optimiser's state (three times the model) and a history.
constexpr uint64_t kMaxCheckpointBytes = uint64_t{8} << 30;

std::string where_of(const std::string& path) { return "checkpoint '" + path + "'"; }

// The body's fields, listed once for both directions (the layout above):
// Out writes them, In reads them, checking each as it comes (ranges may
// name fields read before them).
class Out {
 public:
  ByteWriter w;
  template <typename T, typename V>
  void pod(const char*, const V& v, double /*lo*/ = 0, double /*hi*/ = 0) {  // ranges are the reader's to check
    w.pod<T>(static_cast<T>(v));
  }
  void blob(const char*, const std::string& v) { w.blob(v); }
  void floats(const char*, const std::vector<std::vector<float>>& v) {
    w.pod<uint32_t>(static_cast<uint32_t>(v.size()));
    for (const auto& x : v) w.array<float>(x);
  }
  void order(const char*, const std::vector<size_t>& v) {
    const std::vector<uint64_t> o(v.begin(), v.end());
    w.array<uint64_t>(o);
  }
  void rng(const char*, const Rng::State& s) {
    for (uint64_t word : s.s) w.pod<uint64_t>(word);
    w.pod<uint8_t>(s.has_spare ? 1 : 0);
    w.pod<float>(s.spare);
  }
  void check(bool, const std::string&) {}
};

class In {
 public:
  explicit In(ByteReader& r) : r(r) {}
  ByteReader& r;
  // Any value but NaN.
  template <typename T, typename V>
  void pod(const char* what, V& v) {
    const T x = r.pod<T>(what);
    if (std::isnan(static_cast<double>(x))) r.fail(std::string(what) + " is NaN");
    v = static_cast<V>(x);
  }
  // A value in [lo, hi] (NaN fails too).
  template <typename T, typename V>
  void pod(const char* what, V& v, double lo, double hi) {
    const T x = r.pod<T>(what);
    const double d = static_cast<double>(x);
    if (!(d >= lo && d <= hi))
      r.fail(std::string(what) + " " + std::to_string(x) + " is out of range (not in [" + format_number(lo) + ", " +
             format_number(hi) + "])");
    v = static_cast<V>(x);
  }
  void blob(const char* what, std::string& v) { v = r.blob(what); }
  void floats(const char* what, std::vector<std::vector<float>>& v) {
    v.resize(r.count("optimizer state vectors", 1u << 20));
    for (auto& x : v) {
      x = r.array<float>(what);
      if (!std::all_of(x.begin(), x.end(), [](float f) { return std::isfinite(f); }))
        r.fail("the optimizer state holds values that are not finite");
    }
  }
  void order(const char* what, std::vector<size_t>& v) {
    const auto o = r.array<uint64_t>(what);
    v.assign(o.begin(), o.end());
  }
  void rng(const char* what, Rng::State& s) {
    for (uint64_t& word : s.s) word = r.pod<uint64_t>(what);
    const uint8_t spare = r.pod<uint8_t>(what);
    s.spare = r.pod<float>(what);
    if (spare > 1) r.fail(std::string(what) + ": a flag that is neither 0 nor 1");
    s.has_spare = spare == 1;
    // xoshiro's all-zero state is a fixed point: it would draw 0 for ever (and hang a shuffle).
    if ((s.s[0] | s.s[1] | s.s[2] | s.s[3]) == 0) r.fail(std::string(what) + ": an all-zero generator state");
    if (!std::isfinite(s.spare)) r.fail(std::string(what) + ": a spare normal draw that is not finite");
  }
  void check(bool ok, const std::string& what) {
    if (!ok) r.fail(what);
  }
};

// Key and State are const when writing.
template <class Io, class Key, class State>
void transfer(Io& io, Key& key, State& s) {
  io.template pod<uint64_t>("config fingerprint", key.config);
  io.template pod<uint64_t>("data fingerprint", key.data);
  io.template pod<uint32_t>("epoch", s.progress.epoch, 0, kMaxEpochs);
  io.blob("model", s.model);
  io.blob("best model", s.progress.best_model);
  io.blob("history", s.progress.history);
  io.check(s.progress.history.rfind("epoch,", 0) == 0 &&
               std::count(s.progress.history.begin(), s.progress.history.end(), '\n') <= static_cast<std::ptrdiff_t>(s.progress.epoch) + 1,
           "the history does not belong to " + std::to_string(s.progress.epoch) + " finished epochs");
  io.floats("optimizer state", s.optimizer);
  io.template pod<float>("learning rate", s.lr, 0, 10);
  io.rng("shuffle generator", s.shuffle);
  io.rng("dropout generator", s.dropout);
  io.order("order", s.progress.order);
  io.template pod<double>("best validation accuracy", s.progress.best_val);
  io.check(s.progress.best_val == -1 || (s.progress.best_val >= 0 && s.progress.best_val <= 1),
           "best validation accuracy " + std::to_string(s.progress.best_val) + " is neither -1 nor in [0, 1]");
  io.template pod<int32_t>("epochs since best", s.progress.since_best, 0, s.progress.epoch);
  io.template pod<float>("plateau best", s.plateau.best);
  io.template pod<int32_t>("plateau wait", s.plateau.wait, 0, s.progress.epoch);
  io.template pod<int32_t>("plateau cooldown", s.plateau.cooldown_left, 0, kMaxEpochs);
}
}  // namespace

std::string encode_checkpoint(const CheckpointKey& key, const TrainingState& s) {
  Out out;
  transfer(out, key, s);
  return frame(kCheckpointFrame, out.w.bytes());
}

std::pair<CheckpointKey, TrainingState> read_checkpoint(const std::string& path) {
  const std::string where = where_of(path);
  try {
    const std::string bytes = read_input_file(path, "checkpoint", kMaxCheckpointBytes);
    if (bytes.rfind("SERCKPT1", 0) == 0)
      throw CheckpointError(where + " was written by an older ser without integrity checks; start the run again");
    ByteReader r(unframe(kCheckpointFrame, bytes, where), where, kFrameHeader);
    In in(r);
    CheckpointKey key;
    TrainingState s;
    transfer(in, key, s);
    if (!r.done()) r.fail("extra bytes after the training state");
    return {key, s};
  } catch (const FormatError& e) {
    throw CheckpointError(e.what());
  } catch (const InputFileError& e) {
    throw CheckpointError(e.what());
  }
}

namespace {
// The checkpoint's model, checked tensor by tensor against the run's model.
nn::Sequential matching_model(const std::string& bytes, const std::string& where, nn::Sequential& expected,
                              const char* which) {
  nn::Sequential saved = [&] {
    try {
      return nn::deserialize_model(bytes, where + " (" + which + ")");
    } catch (const nn::ModelFileError& e) {
      throw CheckpointError(e.what());
    }
  }();
  const auto mismatch = [&](const std::string& what) {
    return CheckpointError(where + ": its " + which + " does not fit this run's config: " + what +
                           " (was the config changed after the run started?)");
  };
  if (!(saved.input_shape() == expected.input_shape()))
    throw mismatch("input " + saved.input_shape().str() + " in the checkpoint, " + expected.input_shape().str() +
                   " in the config");
  const auto have = saved.state(), want = expected.state();
  if (have.size() != want.size())
    throw mismatch(std::to_string(have.size()) + " tensors in the checkpoint, " + std::to_string(want.size()) +
                   " in the config");
  for (size_t i = 0; i < want.size(); ++i)
    if (have[i].name != want[i].name || !(have[i].tensor.shape() == want[i].tensor.shape()))
      throw mismatch("tensor " + have[i].name + " " + have[i].tensor.shape().str() + " in the checkpoint, " +
                     want[i].name + " " + want[i].tensor.shape().str() + " in the config");
  return saved;
}
}  // namespace

void resume_into(const std::string& path, const CheckpointKey& found, const TrainingState& s,
                 const ResumeTarget& target, nn::Sequential& model) {
  const std::string where = where_of(path);
  if (found.config != target.key.config)
    throw CheckpointError(where + " was written by another config than the run's (config.yaml or the recorded "
                                  "overrides changed); start a new run instead of resuming this one");
  if (found.data != target.key.data)
    throw CheckpointError(where + " was written for other data: the files, their labels or the split differ from "
                                  "what the data folder gives now (files added or removed?). Resuming would train on "
                                  "other files and could let test files into training; restore the data as it was "
                                  "or start a new run");
  if (s.progress.epoch > target.epochs)
    throw CheckpointError(where + " is after epoch " + std::to_string(s.progress.epoch) + " of a run of " +
                          std::to_string(target.epochs) + " epochs");
  if (s.optimizer.size() != target.optimizer_sizes.size())
    throw CheckpointError(where + " holds " + std::to_string(s.optimizer.size()) +
                          " optimizer state vectors; this run's optimizer has " +
                          std::to_string(target.optimizer_sizes.size()));
  for (size_t i = 0; i < s.optimizer.size(); ++i)
    if (s.optimizer[i].size() != target.optimizer_sizes[i])
      throw CheckpointError(where + ": optimizer state vector " + std::to_string(i) + " has " +
                            std::to_string(s.optimizer[i].size()) + " values, the run needs " +
                            std::to_string(target.optimizer_sizes[i]));
  std::vector<size_t> sorted = s.progress.order, train = target.train;
  std::sort(sorted.begin(), sorted.end());
  std::sort(train.begin(), train.end());
  if (sorted != train)
    throw CheckpointError(where + ": its order of training rows is not a permutation of this run's " +
                          std::to_string(train.size()) + " training rows");
  nn::Sequential saved = matching_model(s.model, where, model, "model");
  if (!s.progress.best_model.empty()) matching_model(s.progress.best_model, where, model, "best model");
  auto dst = model.state();
  auto src = saved.state();
  for (size_t i = 0; i < dst.size(); ++i)
    std::copy(src[i].tensor.values().begin(), src[i].tensor.values().end(), dst[i].tensor.data());
}

uint64_t data_fingerprint(const datasets::Corpus& corpus, const datasets::Split& split,
                          const std::map<std::string, std::string>& roots) {
  std::string text;
  auto relative = [&](const datasets::Sample& s) {
    const auto root = roots.find(s.corpus);
    if (root != roots.end() && s.path.rfind(root->second, 0) == 0) return s.path.substr(root->second.size());
    return s.path;
  };
  for (const auto& [side, rows] : {std::pair{"train", &split.train}, std::pair{"validation", &split.validation},
                                   std::pair{"test", &split.test}}) {
    text += side;
    text += '\n';
    for (size_t i : *rows) {
      const datasets::Sample& s = corpus.samples.at(i);
      text += std::to_string(i) + '|' + relative(s) + '|' + s.label + '|' + s.augmentation + '\n';
    }
  }
  for (const auto& l : corpus.labels) text += l + ',';
  return fnv1a(text);
}

}  // namespace ser::experiments
