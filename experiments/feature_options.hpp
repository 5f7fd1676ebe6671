#pragma once
// Command-line options walked from registered settings: the librosa feature
// options shared by the commands that extract features (`ser features`,
// `ser data --cache`), and any other settings a command offers.

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

// The same for any registered settings (a detector's, say): one option per
// setting, and the values given on the command line set into the fields
// the settings are bound to (UsageError naming the option when one is refused).
void add_settings_options(ArgParser& p, const Settings& settings);
void read_settings_options(const ArgParser& p, const Settings& settings);

}  // namespace ser::experiments
