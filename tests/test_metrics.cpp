// Metrics against sklearn's documented classification_report example.
#include <doctest/doctest.h>

#include <stdexcept>

#include "experiments/metrics.hpp"

using namespace ser::experiments;

TEST_CASE("sklearn's classification_report example: y_true [0,1,2,2,2], y_pred [0,0,2,2,1]") {
  const Metrics m = evaluate({0, 1, 2, 2, 2}, {0, 0, 2, 2, 1}, {"class 0", "class 1", "class 2"});
  CHECK(m.accuracy == doctest::Approx(0.6));
  CHECK(m.classes[0].precision == doctest::Approx(0.5));
  CHECK(m.classes[0].recall == doctest::Approx(1.0));
  CHECK(m.classes[1].f1 == 0.0);
  CHECK(m.classes[2].recall == doctest::Approx(2.0 / 3));
  CHECK(m.classes[2].f1 == doctest::Approx(0.8));
  CHECK(m.macro.precision == doctest::Approx(0.5));
  CHECK(m.macro.recall == doctest::Approx(0.5556).epsilon(1e-3));
  CHECK(m.macro.f1 == doctest::Approx(0.4889).epsilon(1e-3));
  CHECK(m.weighted.precision == doctest::Approx(0.7));
  CHECK(m.weighted.f1 == doctest::Approx(0.6133).epsilon(1e-3));
  CHECK(m.confusion == std::vector<std::vector<int64_t>>{{1, 0, 0}, {1, 0, 0}, {0, 1, 2}});
  // sklearn prints exactly these rows.
  const std::string report = classification_report(m);
  CHECK(report.find("     class 0      0.50      1.00      0.67         1") != std::string::npos);
  CHECK(report.find("     class 2      1.00      0.67      0.80         3") != std::string::npos);
  CHECK(report.find("    accuracy                          0.60         5") != std::string::npos);
  CHECK(report.find("   macro avg      0.50      0.56      0.49         5") != std::string::npos);
  CHECK(report.find("weighted avg      0.70      0.60      0.61         5") != std::string::npos);
  const std::string json = metrics_json(m);
  CHECK(json.find("\"accuracy\": 0.6") != std::string::npos);
  CHECK(json.find("\"confusion_matrix\"") != std::string::npos);
  CHECK(metrics_json(evaluate({0, 1, 2, 2, 2}, {0, 0, 2, 2, 1}, {"class 0", "class 1", "class 2"})) == json);
}

TEST_CASE("UA and WA: sklearn's balanced_accuracy_score and accuracy_score") {
  // balanced_accuracy_score([0,1,2,2,2], [0,0,2,2,1]) = (1 + 0 + 2/3) / 3
  const Metrics m = evaluate({0, 1, 2, 2, 2}, {0, 0, 2, 2, 1}, {"class 0", "class 1", "class 2"});
  CHECK(m.unweighted_accuracy == doctest::Approx(5.0 / 9));
  CHECK(metrics_json(m).find("\"weighted_accuracy\": 0.6") != std::string::npos);
  // A class predicted but never true does not count: balanced_accuracy_score([0,0,1,1], [0,2,1,1]) = (0.5 + 1) / 2.
  const Metrics p = evaluate({0, 0, 1, 1}, {0, 2, 1, 1}, {"a", "b", "c"});
  CHECK(p.unweighted_accuracy == doctest::Approx(0.75));
  CHECK(classification_report(p).find("UA (mean recall per class) 0.7500, WA (accuracy) 0.7500") != std::string::npos);
}

TEST_CASE("bad input to evaluate is refused") {
  CHECK_THROWS_AS(evaluate({0, 1}, {0}, {"a", "b"}), std::invalid_argument);
  CHECK_THROWS_AS(evaluate({0, 2}, {0, 1}, {"a", "b"}), std::invalid_argument);
}

TEST_CASE("a class absent from both truth and predictions is left out of the macro average, as sklearn does") {
  // Found: `ser eval` on a data set without one of the model's classes counted it (0.102 against sklearn's 0.142).
  // sklearn.metrics.classification_report([0, 0, 1, 1], [0, 1, 1, 1]): macro F1 (2/3 + 0.8) / 2.
  const Metrics m = evaluate({0, 0, 1, 1}, {0, 1, 1, 1}, {"a", "b", "c"});
  CHECK(m.macro.f1 == doctest::Approx((2.0 / 3 + 0.8) / 2));
  CHECK(m.macro.precision == doctest::Approx((1.0 + 2.0 / 3) / 2));
  CHECK(m.classes.size() == 3);  // still listed, with support 0
  CHECK(m.classes[2].support == 0);
  // A class that is predicted but never true counts (sklearn's labels are those of y_true and y_pred).
  const Metrics p = evaluate({0, 0}, {0, 2}, {"a", "b", "c"});
  CHECK(p.macro.f1 == doctest::Approx((2.0 / 3 + 0.0) / 2));
  // All classes present: exactly the mean over all, as before.
  const Metrics all = evaluate({0, 1, 2, 2, 2}, {0, 0, 2, 2, 1}, {"class 0", "class 1", "class 2"});
  CHECK(all.macro.f1 == doctest::Approx(0.4889).epsilon(1e-3));
}

TEST_CASE("mean_sd over folds and seeds: numpy's mean and std(ddof=1)") {
  // np.mean([0.62, 0.55, 0.71, 0.58]) = 0.615, np.std(..., ddof=1) = 0.06952217...
  const MeanSd four = mean_sd({0.62, 0.55, 0.71, 0.58});
  CHECK(four.mean == doctest::Approx(0.615).epsilon(1e-12));
  CHECK(four.sd == doctest::Approx(0.0695221787).epsilon(1e-9));
  // One value has no spread (ddof=1 would divide by zero); none has no mean.
  const MeanSd one = mean_sd({0.8});
  CHECK(one.mean == 0.8);
  CHECK(one.sd == 0.0);
  const MeanSd none = mean_sd({});
  CHECK(none.mean == 0.0);
  CHECK(none.sd == 0.0);
}
