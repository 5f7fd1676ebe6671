#pragma once
// The librosa feature options shared by the commands that extract features
// (`ser features`, `ser data --cache`): walked from the settings dsp registers.

#include "dsp/feature_spec.hpp"
#include "experiments/arg_parser.hpp"

namespace ser::experiments {

// One option per registered feature setting (dsp::FeatureSpec::settings()),
// named from it (n_fft: --n-fft), with its help and default; --kind is added
// with `default_kind` (empty: required).
void add_feature_options(ArgParser& p, const std::string& default_kind = "");
// The kinds and what each computes, from dsp's table, for a command's description.
std::string feature_kinds_help();
dsp::FeatureSpec feature_spec_from(const ArgParser& p);

}  // namespace ser::experiments
