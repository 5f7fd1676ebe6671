#include "datasets/labels.hpp"

#include <set>
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

Corpus with_gender_labels(const Corpus& c, GenderLabels kind) {
  Corpus out;
  out.name = c.name;
  out.skipped = c.skipped;
  std::set<std::string> genders;
  for (const Sample& s : c.samples)
    if (!s.gender.empty()) genders.insert(s.gender);
  for (const std::string& g : genders) {
    if (kind == GenderLabels::gender)
      out.labels.push_back(g);
    else
      for (const std::string& label : c.labels) out.labels.push_back(g + "_" + label);
  }
  for (Sample s : c.samples) {
    if (s.gender.empty()) {
      out.skipped.push_back({s.path, "the " + s.corpus + " corpus does not say this speaker's gender" +
                                         (s.corpus == "cremad" ? " (VideoDemographics.csv not found)" : "")});
      continue;
    }
    s.label = kind == GenderLabels::gender ? s.gender : s.gender + "_" + s.label;
    out.samples.push_back(std::move(s));
  }
  return out;
}

Corpus keep_samples(const Corpus& c, std::string Sample::*field, const std::string& value, const std::string& what) {
  Corpus out = c;
  out.samples.clear();
  for (const Sample& s : c.samples) {
    const std::string& have = s.*field;
    if (have == value)
      out.samples.push_back(s);
    else
      out.skipped.push_back({s.path, have.empty() ? what + " not recorded (kept: " + value + ")"
                                                  : what + " '" + have + "' left out (kept: " + value + ")"});
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
