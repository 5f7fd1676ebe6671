#pragma once
// Classification metrics as sklearn reports them: accuracy, per-class
// precision / recall / F1 / support, macro and weighted averages, and the
// confusion matrix (rows: true class, columns: predicted). A class that is
// never predicted (or never present) gets precision (recall) 0, as sklearn's
// zero_division default. A class absent from both the truth and the
// predictions is listed (support 0) but left out of the macro average, as
// sklearn leaves it out of its report (its labels are those seen).

#include <cstdint>
#include <string>
#include <vector>

namespace ser::experiments {

struct ClassScores {
  std::string label;
  double precision = 0, recall = 0, f1 = 0;
  int64_t support = 0;
};

struct Metrics {
  std::vector<std::string> labels;
  double accuracy = 0;  // also SER papers' weighted accuracy (WA)
  // Unweighted accuracy (UA): the mean recall of the classes present in the
  // truth (sklearn's balanced_accuracy_score), what SER papers report beside WA.
  double unweighted_accuracy = 0;
  ClassScores macro, weighted;  // label "macro avg" / "weighted avg"
  std::vector<ClassScores> classes;
  std::vector<std::vector<int64_t>> confusion;
};

// Throws std::invalid_argument when the sizes differ or a class index is out of range.
Metrics evaluate(const std::vector<int32_t>& truth, const std::vector<int32_t>& predicted,
                 const std::vector<std::string>& labels);

// sklearn.metrics.classification_report's text layout (2 decimals).
std::string classification_report(const Metrics& m);
// {"accuracy", "unweighted_accuracy", "weighted_accuracy", "macro_f1", "weighted_f1", "labels", "per_class": {label: {precision, recall, f1, support}},
//  "macro avg", "weighted avg", "confusion_matrix"}; fixed formatting, so equal metrics give equal bytes.
std::string metrics_json(const Metrics& m);

// A score's mean and sample standard deviation (n - 1; 0 for one value)
// over folds or seeds. The values are summed first, then divided.
struct MeanSd {
  double mean = 0, sd = 0;
};
MeanSd mean_sd(const std::vector<double>& values);

}  // namespace ser::experiments
