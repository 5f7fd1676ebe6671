#include "dsp/feature_spec.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <stdexcept>

#include "common/text.hpp"
#include "dsp/chroma.hpp"
#include "dsp/delta.hpp"
#include "dsp/framewise.hpp"

namespace ser::dsp {

const std::vector<std::string>& FeatureSpec::kinds() {
  static const std::vector<std::string> k = {"mfcc", "mel", "mel_db", "mel_amp_db", "stft",
                                             "zcr",  "rms", "chroma", "delta"};
  return k;
}

int64_t FeatureSpec::rows() const {
  if (kind == "mfcc" || kind == "delta") return n_mfcc;
  if (kind == "mel" || kind == "mel_db" || kind == "mel_amp_db") return mel.n_mels;
  if (kind == "stft") return stft.n_fft / 2 + 1;
  if (kind == "chroma") return 12;
  return 1;
}

namespace {
void check_db(const DbOptions& d) {
  if (!(std::isfinite(d.top_db) && d.top_db <= 1000))
    throw SettingError("top_db", "top_db must be a number of dB up to 1000 (negative or none: no floor)");
  if (!(d.amin > 0 && d.amin < 1)) throw SettingError("amin", "amin must be between 0 and 1 (exclusive)");
  if (!(d.ref_value > 0 && std::isfinite(d.ref_value))) throw SettingError("ref", "ref must be a finite value > 0");
  if (static_cast<unsigned>(d.ref) > static_cast<unsigned>(DbReference::min))
    throw SettingError("db_ref", "db_ref must be value, max or min");
}
}  // namespace

void FeatureSpec::validate() const {
  if (std::find(kinds().begin(), kinds().end(), kind) == kinds().end())
    throw SettingError("kind", "unknown feature kind '" + kind +
                                   "' (mfcc, mel, mel_db, mel_amp_db, stft, zcr, rms, chroma, delta)");
  if (load.sample_rate != 0 && (load.sample_rate < kMinSampleRate || load.sample_rate > kMaxSampleRate))
    throw SettingError("sample_rate", "sample_rate must be 0 (the file's own) or between " +
                                          std::to_string(kMinSampleRate) + " and " + std::to_string(kMaxSampleRate) +
                                          " Hz, got " + std::to_string(load.sample_rate));
  if (!(load.offset >= 0 && load.offset <= kMaxSeconds))
    throw SettingError("offset", "offset must be between 0 and 1e6 seconds");
  if (!(std::isfinite(load.duration) && load.duration <= kMaxSeconds && load.duration != 0))
    throw SettingError("duration", "duration must be > 0 and at most 1e6 seconds (negative: to the end)");
  if (static_cast<unsigned>(load.quality) > static_cast<unsigned>(ResampleQuality::very_high))
    throw SettingError("resample", "resample quality must be qq, lq, mq, hq or vhq");
  if (stft.n_fft < 2 || stft.n_fft > kMaxFft)
    throw SettingError("n_fft", "n_fft must be between 2 and " + std::to_string(kMaxFft) + ", got " +
                                    std::to_string(stft.n_fft));
  if (stft.hop_length < 0 || stft.hop_length > kMaxFft)
    throw SettingError("hop", "hop must be between 1 and " + std::to_string(kMaxFft) + " (0: n_fft/4), got " +
                                  std::to_string(stft.hop_length));
  if (stft.hop_length == 0 && stft.n_fft < 4)
    throw SettingError("hop", "hop defaults to n_fft/4, which is 0 for n_fft " + std::to_string(stft.n_fft) +
                                  "; give hop");
  if (stft.win_length < 0 || stft.win_length > stft.n_fft)
    throw SettingError("win_length", "win_length must be between 1 and n_fft (" + std::to_string(stft.n_fft) +
                                         "; 0: n_fft), got " + std::to_string(stft.win_length));
  if (static_cast<unsigned>(stft.window) > static_cast<unsigned>(WindowKind::rectangular))
    throw SettingError("window", "window must be hann, hamming or rectangular");
  if (static_cast<unsigned>(stft.pad_mode) > static_cast<unsigned>(PadMode::edge))
    throw SettingError("pad_mode", "pad_mode must be constant, reflect or edge");
  if (static_cast<unsigned>(stft.precision) > static_cast<unsigned>(Precision::double_))
    throw SettingError("precision", "precision must be single or double");
  if (mel.n_mels < 1 || mel.n_mels > kMaxMels)
    throw SettingError("n_mels", "n_mels must be between 1 and " + std::to_string(kMaxMels) + ", got " +
                                     std::to_string(mel.n_mels));
  if (!(mel.fmin >= 0 && mel.fmin <= kMaxSampleRate / 2))
    throw SettingError("fmin", "fmin must be between 0 and " + std::to_string(kMaxSampleRate / 2) + " Hz");
  if (!(std::isfinite(mel.fmax) && (mel.fmax < 0 || mel.fmax > mel.fmin)))
    throw SettingError("fmax", "fmax must be above fmin (negative: half the sample rate)");
  if (n_mfcc < 1 || n_mfcc > mel.n_mels)
    throw SettingError("n_mfcc", "n_mfcc must be between 1 and n_mels (" + std::to_string(mel.n_mels) + "), got " +
                                     std::to_string(n_mfcc));
  check_db(db);
  check_db(amplitude_db);
}

std::string FeatureSpec::canonical() const {
  std::ostringstream s;
  s.precision(17);
  s << "v1;kind=" << kind << ";sr=" << load.sample_rate << ";offset=" << load.offset << ";duration=" << load.duration
    << ";resample=" << static_cast<int>(load.quality) << ";n_fft=" << stft.n_fft
    << ";hop=" << (stft.hop_length ? stft.hop_length : stft.n_fft / 4)
    << ";win=" << (stft.win_length ? stft.win_length : stft.n_fft) << ";window=" << static_cast<int>(stft.window)
    << ";center=" << stft.center << ";pad=" << static_cast<int>(stft.pad_mode)
    << ";precision=" << static_cast<int>(stft.precision);
  if (kind == "mel" || kind == "mel_db" || kind == "mel_amp_db" || kind == "mfcc" || kind == "delta")
    s << ";n_mels=" << mel.n_mels << ";fmin=" << mel.fmin << ";fmax=" << mel.fmax << ";htk=" << mel.htk
      << ";slaney=" << mel.slaney_norm;
  if (kind == "mel_db" || kind == "mfcc" || kind == "delta")
    s << ";db_ref=" << static_cast<int>(db.ref) << ";ref=" << db.ref_value << ";amin=" << db.amin
      << ";top_db=" << db.top_db;
  if (kind == "mel_amp_db")
    s << ";adb_ref=" << static_cast<int>(amplitude_db.ref) << ";aref=" << amplitude_db.ref_value
      << ";aamin=" << amplitude_db.amin << ";atop_db=" << amplitude_db.top_db;
  if (kind == "mfcc" || kind == "delta") s << ";n_mfcc=" << n_mfcc;
  return s.str();
}

FeatureSpec FeatureSpec::parse(const std::string& text) {
  std::map<std::string, std::string> kv;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ';')) {
    const size_t eq = item.find('=');
    if (eq != std::string::npos) kv[item.substr(0, eq)] = item.substr(eq + 1);
  }
  if (text.rfind("v1;", 0) != 0) throw std::invalid_argument("feature settings '" + text + "' are not version v1");
  auto field = [&](const std::string& key) -> const std::string& {
    const auto it = kv.find(key);
    if (it == kv.end()) throw std::invalid_argument("feature settings '" + text + "' lack '" + key + "'");
    return it->second;
  };
  auto number = [&](const std::string& key) {
    const std::string& v = field(key);
    size_t used = 0;
    double d = 0;
    try {
      d = std::stod(v, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != v.size() || v.empty())
      throw std::invalid_argument("feature settings: '" + key + "=" + v + "' is not a number");
    return d;
  };
  // Integers and enumerations are whole numbers in int range; validate() checks each enum's values.
  auto integer = [&](const std::string& key) {
    const double d = number(key);
    if (!(d >= -2147483647.0 && d <= 2147483647.0) || d != std::floor(d))
      throw SettingError(key, "feature settings: '" + key + "=" + field(key) + "' is not an integer");
    return static_cast<int>(d);
  };
  FeatureSpec s;
  s.kind = field("kind");
  s.load.sample_rate = integer("sr");
  s.load.offset = number("offset");
  s.load.duration = number("duration");
  s.load.quality = static_cast<ResampleQuality>(integer("resample"));
  s.stft.n_fft = integer("n_fft");
  s.stft.hop_length = integer("hop");
  s.stft.win_length = integer("win");
  s.stft.window = static_cast<WindowKind>(integer("window"));
  s.stft.center = integer("center") != 0;
  s.stft.pad_mode = static_cast<PadMode>(integer("pad"));
  s.stft.precision = static_cast<Precision>(integer("precision"));
  const std::string& k = s.kind;
  if (k == "mel" || k == "mel_db" || k == "mel_amp_db" || k == "mfcc" || k == "delta") {
    s.mel.n_mels = integer("n_mels");
    s.mel.fmin = number("fmin");
    s.mel.fmax = number("fmax");
    s.mel.htk = integer("htk") != 0;
    s.mel.slaney_norm = integer("slaney") != 0;
  }
  if (k == "mel_db" || k == "mfcc" || k == "delta") {
    s.db.ref = static_cast<DbReference>(integer("db_ref"));
    s.db.ref_value = number("ref");
    s.db.amin = number("amin");
    s.db.top_db = number("top_db");
  }
  if (k == "mel_amp_db") {
    s.amplitude_db.ref = static_cast<DbReference>(integer("adb_ref"));
    s.amplitude_db.ref_value = number("aref");
    s.amplitude_db.amin = number("aamin");
    s.amplitude_db.top_db = number("atop_db");
  }
  if (k == "mfcc" || k == "delta") s.n_mfcc = integer("n_mfcc");
  s.validate();
  return s;
}

uint64_t FeatureSpec::hash() const { return fnv1a(canonical()); }

struct FeatureExtractor::PerRate {
  std::unique_ptr<MelSpectrogram> mel;
  std::unique_ptr<MfccExtractor> mfcc;
  std::unique_ptr<Stft> stft;
};

FeatureExtractor::FeatureExtractor(FeatureSpec spec) : spec_(std::move(spec)) { spec_.validate(); }
FeatureExtractor::~FeatureExtractor() = default;

const FeatureExtractor::PerRate& FeatureExtractor::for_rate(int sr) const {
  std::lock_guard lock(mutex_);
  if (const auto it = per_rate_.find(sr); it != per_rate_.end()) return *it->second;
  // Built completely before it is kept: a setup that throws (fmax above this
  // rate's Nyquist, say) leaves nothing half-made for the next file to use.
  auto made = std::make_unique<PerRate>();
  const std::string& k = spec_.kind;
  if (k == "mel" || k == "mel_db") made->mel = std::make_unique<MelSpectrogram>(sr, spec_.stft, spec_.mel);
  if (k == "mel_amp_db") made->mel = std::make_unique<MelSpectrogram>(sr, spec_.stft, spec_.mel, 1.0);
  if (k == "mfcc" || k == "delta") {
    MfccOptions o;
    o.n_mfcc = spec_.n_mfcc;
    o.stft = spec_.stft;
    o.mel = spec_.mel;
    o.db = spec_.db;
    made->mfcc = std::make_unique<MfccExtractor>(sr, o);
  }
  if (k == "stft") made->stft = std::make_unique<Stft>(spec_.stft);
  return *per_rate_.emplace(sr, std::move(made)).first->second;
}

Matrix FeatureExtractor::operator()(std::span<const float> y, int sr) const {
  const std::string& k = spec_.kind;
  if (k == "zcr" || k == "rms") {
    const FrameOptions f{spec_.stft.n_fft, spec_.stft.hop_length ? spec_.stft.hop_length : spec_.stft.n_fft / 4,
                         spec_.stft.center};
    return k == "zcr" ? zero_crossing_rate(y, f) : rms(y, f, spec_.stft.pad_mode);
  }
  if (k == "chroma") {
    ChromaOptions o;
    o.stft = spec_.stft;
    return chroma_stft(y, sr, o);
  }
  const PerRate& p = for_rate(sr);
  if (k == "stft") return p.stft->spectrogram(y, 1.0);
  if (k == "mel") return (*p.mel)(y);
  if (k == "mel_db") return power_to_db((*p.mel)(y), spec_.db);
  if (k == "mel_amp_db") return amplitude_to_db((*p.mel)(y), spec_.amplitude_db);
  const Matrix m = (*p.mfcc)(y);
  return k == "delta" ? delta(m, 9, 1) : m;
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
