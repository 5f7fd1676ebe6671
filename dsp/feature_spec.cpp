#include "dsp/feature_spec.hpp"

#include <sstream>
#include <stdexcept>

#include "common/text.hpp"

namespace ser::dsp {

Settings FeatureSpec::settings(unsigned groups) {
  Settings s;
  load.register_settings(s);
  stft.register_settings(s);
  if (groups & kMelGroup) mel.register_settings(s);
  if (groups & kDbGroup) db.register_settings(s);
  if (groups & kCepstrumGroup) cepstrum.register_settings(s);
  if (groups & kShapeGroup) shape.register_settings(s);
  if (groups & kContrastGroup) contrast.register_settings(s);
  if (groups & kPitchGroup) pitch.register_settings(s);
  if (groups & kYinGroup) yin.register_settings(s);
  if (groups & kPyinGroup) pyin.register_settings(s);
  if (groups & kVoiceGroup) voice.register_settings(s);
  return s;
}

void FeatureSpec::validate() const {
  if (static_cast<size_t>(kind) >= feature_kinds().size())
    throw SettingError("kind", "kind must be one of the feature kinds, got " + std::to_string(static_cast<int>(kind)));
  FeatureSpec copy = *this;  // settings() binds to fields it may write; this one only reads
  copy.settings().check();
  // What one setting's range cannot say: settings that contradict each other.
  if (stft.hop_length == 0 && stft.n_fft < 4)
    throw SettingError("hop",
                       "hop defaults to n_fft/4, which is 0 for n_fft " + std::to_string(stft.n_fft) + "; give hop");
  if (stft.win_length > stft.n_fft)
    throw SettingError("win_length", "win_length must be between 1 and n_fft (" + std::to_string(stft.n_fft) +
                                         "; 0: n_fft), got " + std::to_string(stft.win_length));
  if (mel.fmax >= 0 && mel.fmax <= mel.fmin)
    throw SettingError("fmax", "fmax must be above fmin (" + format_number(mel.fmin) +
                                   " Hz; none: half the sample rate), got " + format_number(mel.fmax));
  if (cepstrum.n_mfcc > mel.n_mels)
    throw SettingError("n_mfcc", "n_mfcc must be between 1 and n_mels (" + std::to_string(mel.n_mels) + "), got " +
                                     std::to_string(cepstrum.n_mfcc));
}

std::string FeatureSpec::canonical() const {
  FeatureSpec copy = *this;
  std::string out = std::string("v2;kind=") + kind_name();
  const Settings settings = copy.settings(kind_info(kind).groups);
  for (const Setting& s : settings.all()) out += ";" + s.name + "=" + s.get();
  return out;
}

namespace {

using KeyValues = std::map<std::string, std::string>;

// v1 (before settings were registered) named some settings otherwise, wrote
// choices and flags as numbers and gave mel_amp_db its own dB keys.
void upgrade_v1(KeyValues& kv, Settings& settings) {
  static const std::map<std::string, std::string> renamed = {
      {"sr", "sample_rate"}, {"win", "win_length"}, {"pad", "pad_mode"},  {"slaney", "mel_norm"},
      {"adb_ref", "db_ref"}, {"aref", "ref"},       {"atop_db", "top_db"}};
  KeyValues out;
  for (const auto& [key, value] : kv) {
    if (key == "amin" || key == "aamin") continue;  // librosa's defaults now, not settings
    const auto it = renamed.find(key);
    out[it == renamed.end() ? key : it->second] = value;
  }
  for (const Setting& s : settings.all()) {
    const auto it = out.find(s.name);
    if (it == out.end() || (s.kind != SettingKind::choice && s.kind != SettingKind::flag)) continue;
    const std::string& v = it->second;
    if (s.kind == SettingKind::flag && (v == "0" || v == "1")) it->second = v == "1" ? "true" : "false";
    if (s.kind == SettingKind::choice && v.size() == 1 && v[0] >= '0' &&
        static_cast<size_t>(v[0] - '0') < s.choices.size())
      it->second = s.choices[static_cast<size_t>(v[0] - '0')];
  }
  // Settings v1 did not have kept their defaults.
  for (const char* added : {"window", "lifter", "dct_norm", "ref"})
    if (Setting* s = settings.find(added); s && !out.count(added)) out[added] = s->get();
  kv = std::move(out);
}

}  // namespace

FeatureSpec FeatureSpec::parse(const std::string& text) {
  KeyValues kv;
  std::istringstream in(text);
  std::string item, version;
  std::getline(in, version, ';');
  if (version != "v1" && version != "v2")
    throw std::invalid_argument("feature settings '" + text + "' are not version v2 (or v1)");
  while (std::getline(in, item, ';')) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos) throw std::invalid_argument("feature settings: '" + item + "' is not key=value");
    kv[item.substr(0, eq)] = item.substr(eq + 1);
  }
  FeatureSpec spec;
  if (!kv.count("kind")) throw std::invalid_argument("feature settings '" + text + "' lack 'kind'");
  spec.kind = parse_feature_kind(kv["kind"]);
  kv.erase("kind");
  Settings settings = spec.settings(kind_info(spec.kind).groups);
  if (version == "v1") upgrade_v1(kv, settings);
  for (const Setting& s : settings.all()) {
    const auto it = kv.find(s.name);
    if (it == kv.end()) throw std::invalid_argument("feature settings '" + text + "' lack '" + s.name + "'");
    try {
      s.set(it->second);
    } catch (const SettingError& e) {
      throw SettingError(e.key(), std::string("feature settings: ") + e.what());
    }
    kv.erase(it);
  }
  if (!kv.empty())
    throw std::invalid_argument("feature settings: '" + kv.begin()->first + "' is not a setting of " +
                                spec.kind_name());
  spec.validate();
  return spec;
}

uint64_t FeatureSpec::hash() const { return fnv1a(canonical()); }

struct FeatureExtractor::PerRate {
  std::unique_ptr<Stft> stft;
  std::unique_ptr<MelSpectrogram> mel;
  std::unique_ptr<MfccExtractor> mfcc;
};

FeatureExtractor::FeatureExtractor(FeatureSpec spec) : spec_(std::move(spec)) { spec_.validate(); }
FeatureExtractor::~FeatureExtractor() = default;

const FeatureExtractor::PerRate& FeatureExtractor::for_rate(int sr) const {
  std::lock_guard lock(mutex_);
  if (const auto it = per_rate_.find(sr); it != per_rate_.end()) return *it->second;
  // Built completely before it is kept: a setup that throws (fmax above this
  // rate's Nyquist, say) leaves nothing half-made for the next file to use.
  auto made = std::make_unique<PerRate>();
  const unsigned tools = kind_info(spec_.kind).tools;
  if (tools & kStftTool) made->stft = std::make_unique<Stft>(spec_.stft);
  if (tools & kMelPowerTool) made->mel = std::make_unique<MelSpectrogram>(sr, spec_.stft, spec_.mel);
  if (tools & kMelMagnitudeTool) made->mel = std::make_unique<MelSpectrogram>(sr, spec_.stft, spec_.mel, 1.0);
  if (tools & kMfccTool)
    made->mfcc = std::make_unique<MfccExtractor>(
        sr, MfccOptions{spec_.stft, spec_.mel, power_db_options(spec_.db), spec_.cepstrum});
  return *per_rate_.emplace(sr, std::move(made)).first->second;
}

Matrix FeatureExtractor::operator()(std::span<const float> y, int sr) const {
  const FeatureKindInfo& info = kind_info(spec_.kind);
  FeatureTools tools{spec_};
  if (info.tools) {
    const PerRate& p = for_rate(sr);
    tools.stft = p.stft.get();
    tools.mel = p.mel.get();
    tools.mfcc = p.mfcc.get();
  }
  return info.compute(tools, y, sr);
}

Matrix FeatureExtractor::from_file(const std::string& path) const {
  const Audio a = load_audio(path, spec_.load);
  try {
    return (*this)(a.samples, a.sample_rate);
  } catch (const std::invalid_argument& e) {
    throw AudioError("audio file '" + path + "': " + e.what());
  }
}

}  // namespace ser::dsp
