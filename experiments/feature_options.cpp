#include "experiments/feature_options.hpp"

#include <algorithm>

namespace ser::experiments {

namespace {

// n_fft -> --n-fft; a flag that is on by default is turned off with --no-NAME.
std::string option_name(const std::string& setting, bool negated = false) {
  std::string name = (negated ? "--no-" : "--") + setting;
  std::replace(name.begin(), name.end(), '_', '-');
  return name;
}
bool on_by_default(const Setting& s) { return s.kind == SettingKind::flag && s.read() != 0; }

// "0: n_fft/4", "none: to the end", "80 dB".
std::string default_text(const Setting& s) {
  const std::string v = s.get();
  if (s.special && s.read() == *s.special) return v + ": " + s.special_meaning;
  return s.unit.empty() ? v : v + " " + s.unit;
}

// The help, with the special value when the default is not it ("none: no floor").
std::string help_text(const Setting& s) {
  if (s.kind == SettingKind::flag && on_by_default(s)) return "turn off: " + s.help;
  if (!s.special || s.read() == *s.special) return s.help;
  return s.help + "; " + (s.special_word.empty() ? format_number(*s.special) : s.special_word) + ": " +
         s.special_meaning;
}

// "hop must be ..." is said as "--hop must be ...": the option the user typed.
UsageError usage_error_of(const SettingError& e) {
  const std::string option = option_name(e.key());
  std::string what = e.what();
  if (what.rfind(e.key() + " ", 0) == 0)
    what = option + what.substr(e.key().size());
  else
    what = option + ": " + what;
  return UsageError(what);
}

}  // namespace

std::string feature_kinds_help() {
  std::string out = "Kinds:\n";
  for (const auto& k : dsp::feature_kinds())
    out += "  " + std::string(k.name) + std::string(12 - std::string(k.name).size(), ' ') + k.what + "\n";
  return out;
}

void add_feature_options(ArgParser& p, const std::string& default_kind) {
  std::string kinds;
  for (const auto& name : dsp::feature_kind_names()) kinds += (kinds.empty() ? "" : "|") + name;
  if (default_kind.empty())
    p.option("--kind", "KIND", "the feature (kinds above)");
  else
    p.option("--kind", "KIND", "the feature (" + kinds + ")", default_kind);
  dsp::FeatureSpec defaults;
  add_settings_options(p, defaults.settings());
}

void add_settings_options(ArgParser& p, const Settings& settings) {
  for (const Setting& s : settings.all()) {
    if (s.kind == SettingKind::flag)
      p.flag(option_name(s.name, on_by_default(s)), help_text(s));
    else
      p.option(option_name(s.name), s.metavar(), help_text(s), default_text(s));
  }
}

void read_settings_options(const ArgParser& p, const Settings& settings) {
  try {
    for (const Setting& s : settings.all()) {
      const bool negated = on_by_default(s);
      const std::string name = option_name(s.name, negated);
      if (!p.given(name)) continue;
      s.set(s.kind == SettingKind::flag ? (negated ? "false" : "true") : p.text(name));
    }
  } catch (const SettingError& e) {
    throw usage_error_of(e);
  }
}

dsp::FeatureSpec feature_spec_from(const ArgParser& p) {
  dsp::FeatureSpec spec;
  const std::string kind = p.text("--kind");
  try {
    spec.kind = dsp::parse_feature_kind(kind);
  } catch (const SettingError& e) {
    throw usage_error_of(e);
  }
  read_settings_options(p, spec.settings());
  try {
    spec.validate();
  } catch (const SettingError& e) {
    throw usage_error_of(e);
  }
  return spec;
}

}  // namespace ser::experiments
