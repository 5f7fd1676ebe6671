#include "experiments/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace ser::experiments {

namespace {
using Confusion = std::vector<std::vector<int64_t>>;

// Rows are true classes, columns predicted ones; an index outside [0, classes) is refused.
Confusion confusion_matrix(const std::vector<int32_t>& truth, const std::vector<int32_t>& predicted, size_t classes) {
  const auto C = static_cast<int32_t>(classes);
  Confusion confusion(classes, std::vector<int64_t>(classes, 0));
  for (size_t i = 0; i < truth.size(); ++i) {
    if (truth[i] < 0 || truth[i] >= C || predicted[i] < 0 || predicted[i] >= C)
      throw std::invalid_argument("evaluate: class index out of range at sample " + std::to_string(i));
    ++confusion[static_cast<size_t>(truth[i])][static_cast<size_t>(predicted[i])];
  }
  return confusion;
}

// Precision, recall, F1 and support of class k (0 where a ratio has no denominator, as sklearn).
ClassScores class_scores(const Confusion& confusion, size_t k, const std::string& label) {
  int64_t predicted_k = 0, support = 0;
  for (size_t r = 0; r < confusion.size(); ++r) {
    predicted_k += confusion[r][k];
    support += confusion[k][r];
  }
  const auto tp = static_cast<double>(confusion[k][k]);
  ClassScores s;
  s.label = label;
  s.support = support;
  s.precision = predicted_k ? tp / static_cast<double>(predicted_k) : 0.0;
  s.recall = support ? tp / static_cast<double>(support) : 0.0;
  s.f1 = s.precision + s.recall > 0 ? 2 * s.precision * s.recall / (s.precision + s.recall) : 0.0;
  return s;
}

// The classes in the truth or the predictions: those sklearn's macro average counts.
std::vector<bool> classes_seen(const std::vector<int32_t>& truth, const std::vector<int32_t>& predicted,
                               size_t classes) {
  std::vector<bool> seen(classes, false);
  for (size_t i = 0; i < truth.size(); ++i)
    seen[static_cast<size_t>(truth[i])] = seen[static_cast<size_t>(predicted[i])] = true;
  return seen;
}

// The macro average over the seen classes and the average weighted by
// support over `n` samples, summed class by class.
void average_classes(Metrics& m, const std::vector<bool>& seen, double n) {
  m.macro.label = "macro avg";
  m.weighted.label = "weighted avg";
  const auto present = static_cast<int>(std::count(seen.begin(), seen.end(), true));
  for (size_t k = 0; k < m.classes.size(); ++k) {
    const ClassScores& s = m.classes[k];
    if (seen[k]) {
      m.macro.precision += s.precision / present;
      m.macro.recall += s.recall / present;
      m.macro.f1 += s.f1 / present;
    }
    if (n > 0) {
      const double w = static_cast<double>(s.support) / n;
      m.weighted.precision += w * s.precision;
      m.weighted.recall += w * s.recall;
      m.weighted.f1 += w * s.f1;
    }
  }
  m.macro.support = m.weighted.support = static_cast<int64_t>(n);
}

// The mean recall of the classes present in the truth (UA).
double unweighted_accuracy(const std::vector<ClassScores>& classes) {
  double sum = 0;
  int in_truth = 0;
  for (const ClassScores& s : classes)
    if (s.support > 0) sum += s.recall, ++in_truth;
  return in_truth ? sum / in_truth : 0.0;
}
}  // namespace

Metrics evaluate(const std::vector<int32_t>& truth, const std::vector<int32_t>& predicted,
                 const std::vector<std::string>& labels) {
  if (truth.size() != predicted.size())
    throw std::invalid_argument("evaluate: " + std::to_string(truth.size()) + " true labels but " +
                                std::to_string(predicted.size()) + " predictions");
  Metrics m;
  m.labels = labels;
  m.confusion = confusion_matrix(truth, predicted, labels.size());
  int64_t correct = 0;
  for (size_t k = 0; k < labels.size(); ++k) correct += m.confusion[k][k];
  const auto n = static_cast<double>(truth.size());
  m.accuracy = truth.empty() ? 0.0 : static_cast<double>(correct) / n;
  for (size_t k = 0; k < labels.size(); ++k) m.classes.push_back(class_scores(m.confusion, k, labels[k]));
  average_classes(m, classes_seen(truth, predicted, labels.size()), n);
  m.unweighted_accuracy = unweighted_accuracy(m.classes);
  return m;
}

std::string classification_report(const Metrics& m) {
  size_t width = 12;
  for (const auto& l : m.labels) width = std::max(width, l.size());
  std::string out;
  char line[512];
  std::snprintf(line, sizeof(line), "%*s %9s %9s %9s %9s\n\n", static_cast<int>(width), "", "precision", "recall",
                "f1-score", "support");
  out += line;
  for (const auto& s : m.classes) {
    std::snprintf(line, sizeof(line), "%*s %9.2f %9.2f %9.2f %9lld\n", static_cast<int>(width), s.label.c_str(),
                  s.precision, s.recall, s.f1, static_cast<long long>(s.support));
    out += line;
  }
  std::snprintf(line, sizeof(line), "\n%*s %9s %9s %9.2f %9lld\n", static_cast<int>(width), "accuracy", "", "",
                m.accuracy, static_cast<long long>(m.macro.support));
  out += line;
  for (const ClassScores* s : {&m.macro, &m.weighted}) {
    std::snprintf(line, sizeof(line), "%*s %9.2f %9.2f %9.2f %9lld\n", static_cast<int>(width), s->label.c_str(),
                  s->precision, s->recall, s->f1, static_cast<long long>(s->support));
    out += line;
  }
  std::snprintf(line, sizeof(line), "\nUA (mean recall per class) %.4f, WA (accuracy) %.4f\n", m.unweighted_accuracy,
                m.accuracy);
  out += line;
  return out;
}

std::string metrics_json(const Metrics& m) {
  auto scores = [](const ClassScores& s) {
    return nlohmann::ordered_json{
        {"precision", s.precision}, {"recall", s.recall}, {"f1", s.f1}, {"support", s.support}};
  };
  nlohmann::ordered_json j;
  j["accuracy"] = m.accuracy;
  j["unweighted_accuracy"] = m.unweighted_accuracy;
  j["weighted_accuracy"] = m.accuracy;
  j["macro_f1"] = m.macro.f1;
  j["weighted_f1"] = m.weighted.f1;
  j["labels"] = m.labels;
  nlohmann::ordered_json per = nlohmann::ordered_json::object();
  for (const auto& s : m.classes) per[s.label] = scores(s);
  j["per_class"] = per;
  j["macro avg"] = scores(m.macro);
  j["weighted avg"] = scores(m.weighted);
  j["confusion_matrix"] = m.confusion;
  return j.dump(2);
}

MeanSd mean_sd(const std::vector<double>& values) {
  if (values.empty()) return {};
  const double n = static_cast<double>(values.size());
  double sum = 0;
  for (double v : values) sum += v;
  const double mean = sum / n;
  double ss = 0;
  for (double v : values) ss += (v - mean) * (v - mean);
  return {mean, values.size() > 1 ? std::sqrt(ss / (n - 1)) : 0.0};
}

}  // namespace ser::experiments
