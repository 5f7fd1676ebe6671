#include "datasets/labels.hpp"

#include <stdexcept>

namespace ser::datasets {

const std::vector<std::string>& common_emotions() {
  static const std::vector<std::string> labels = {"angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"};
  return labels;
}

std::map<std::string, std::string> default_label_map(const std::string& corpus, bool calm_as_neutral) {
  std::map<std::string, std::string> m;
  for (const auto& l : common_emotions()) m[l] = l;
  if (corpus == "tess") m["ps"] = "surprise";
  if (corpus == "ravdess") {
    m["fearful"] = "fear";
    m["surprised"] = "surprise";
    if (calm_as_neutral) m["calm"] = "neutral";
  }
  return m;
}

Corpus map_labels(const Corpus& c, const std::map<std::string, std::string>& mapping,
                  const std::vector<std::string>& target) {
  Corpus out;
  out.name = c.name;
  out.labels = target;
  out.skipped = c.skipped;
  for (Sample s : c.samples) {
    const auto it = mapping.find(s.label);
    if (it == mapping.end()) {
      out.skipped.push_back({s.path, "label '" + s.label + "' has no mapping into the common set"});
      continue;
    }
    if (out.label_index(it->second) < 0) {
      out.skipped.push_back({s.path, "label '" + s.label + "' maps to '" + it->second + "', not in the target set"});
      continue;
    }
    s.label = it->second;
    out.samples.push_back(std::move(s));
  }
  return out;
}

Corpus combine(const std::vector<Corpus>& corpora) {
  if (corpora.empty()) throw std::invalid_argument("combine: no corpora");
  Corpus out;
  out.labels = corpora.front().labels;
  for (const Corpus& c : corpora) {
    if (c.labels != out.labels)
      throw std::invalid_argument("combine: corpus '" + c.name +
                                  "' has another label vocabulary; map every corpus into one set first");
    out.name += (out.name.empty() ? "" : "+") + c.name;
    out.samples.insert(out.samples.end(), c.samples.begin(), c.samples.end());
    out.skipped.insert(out.skipped.end(), c.skipped.begin(), c.skipped.end());
  }
  return out;
}

}  // namespace ser::datasets
