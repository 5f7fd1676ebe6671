#pragma once
// Utterance-level functionals of frame features: a fixed-size vector per
// file whatever its length, as eGeMAPS summarises its low-level descriptors.
// Each row of a feature gives kFunctionalsPerRow values: mean, standard
// deviation, the 20th, 50th and 80th percentiles (numpy's linear
// interpolation), the 20-80 range and the least-squares slope per frame.
// A pyin set's f0 row is summarised over voiced frames only (as eGeMAPS does
// for F0), and the set adds three voicing statistics: voiced stretches per
// 100 frames and the mean length, in frames, of voiced and of unvoiced
// stretches. A kind that already summarises the whole clip (voice) is
// passed through as it is.

#include <span>
#include <vector>

#include "dsp/feature_spec.hpp"
#include "dsp/matrix.hpp"

namespace ser::dsp {

inline constexpr int kFunctionalsPerRow = 7;
inline constexpr int kVoicingStatistics = 3;
inline constexpr const char* kFunctionalNames[kFunctionalsPerRow] = {"mean", "std", "p20", "p50", "p80", "range20_80", "slope"};

// The functionals of one row's values (all 0 for no values).
std::vector<float> row_functionals(std::span<const double> values);
// The functionals of one feature set's [rows, frames] matrix.
std::vector<float> functionals(const FeatureSpec& spec, const Matrix& features);
// How many values functionals() gives for this set.
int64_t functionals_size(const FeatureSpec& spec);

}  // namespace ser::dsp
