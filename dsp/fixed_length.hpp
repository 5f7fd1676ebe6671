#pragma once
// Turning variable-length feature matrices into the fixed-size inputs the
// published models take: pad or truncate frames, flatten time-major (a Keras
// model on MFCC.T), pool mean/std over time, concatenate feature sets
// (ZCR + RMS + MFCC), and standardise with statistics fitted on the
// training split only.

#include <cstdint>
#include <span>
#include <vector>

#include "dsp/matrix.hpp"

namespace ser::dsp {

// Exactly `frames` columns: extra frames are dropped, missing ones filled with `pad_value`.
Matrix fix_frames(const Matrix& m, int64_t frames, double pad_value = 0.0);

// m.T.flatten(): frame 0's features, then frame 1's, ... (time-major).
std::vector<float> flatten_time_major(const Matrix& m);
// m.flatten(): feature 0 over time, then feature 1, ... (feature-major).
std::vector<float> flatten_feature_major(const Matrix& m);

// Per-feature mean over time (np.mean(m, axis=1)), and the population standard deviation.
std::vector<float> mean_over_time(const Matrix& m);
std::vector<float> std_over_time(const Matrix& m);
// [means..., standard deviations...]
std::vector<float> mean_std_pool(const Matrix& m);

// Stacks feature sets with the same number of frames: [sum of rows, frames].
Matrix concat_features(std::span<const Matrix> parts);
// Joins flat vectors (np.hstack), as the Kaggle recipe joins ZCR, RMS and MFCC.
std::vector<float> concat(std::span<const std::vector<float>> parts);

// sklearn's StandardScaler on [samples, features] row-major data: per-feature
// mean and population standard deviation (a constant feature keeps scale 1).
class Standardizer {
 public:
  // Fit on the training rows only; every split is transformed with these statistics.
  void fit(std::span<const float> rows, int64_t features);
  void transform(std::span<float> rows) const;
  bool fitted() const { return !mean_.empty(); }
  const std::vector<double>& mean() const { return mean_; }
  const std::vector<double>& scale() const { return scale_; }
  void set(std::vector<double> mean, std::vector<double> scale);  // restore saved statistics

 private:
  std::vector<double> mean_, scale_;
};

}  // namespace ser::dsp
