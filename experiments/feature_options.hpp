#pragma once
// The librosa feature options shared by the commands that extract features
// (`ser features`, `ser data --cache`): declared once, read into a FeatureSpec.

#include "dsp/feature_spec.hpp"
#include "experiments/arg_parser.hpp"

namespace ser::experiments {

// --kind is added with `default_kind` (empty: required).
void add_feature_options(ArgParser& p, const std::string& default_kind = "");
dsp::FeatureSpec feature_spec_from(const ArgParser& p);

}  // namespace ser::experiments
