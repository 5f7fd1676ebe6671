#include "experiments/feature_options.hpp"

#include <algorithm>

namespace ser::experiments {

void add_feature_options(ArgParser& p, const std::string& default_kind) {
  const std::string kinds = "one of mfcc, mel, mel_db, mel_amp_db, stft, zcr, rms, chroma, delta";
  if (default_kind.empty())
    p.option("--kind", "KIND", kinds);
  else
    p.option("--kind", "KIND", kinds, default_kind);
  p.option("--sr", "HZ", "resample to this rate with soxr HQ; default: the file's own rate")
      .option("--n-fft", "N", "FFT size (also the frame length of zcr and rms)", "2048")
      .option("--hop", "N", "hop between frames", "n_fft/4")
      .option("--win-length", "N", "window length, centred in n_fft", "n_fft")
      .option("--n-mels", "N", "mel bands", "128")
      .option("--n-mfcc", "N", "MFCC coefficients", "20")
      .flag("--htk", "HTK mel scale instead of Slaney's")
      .option("--mel-norm", "slaney|none", "mel filter area normalisation", "slaney")
      .option("--pad-mode", "constant|reflect|edge", "padding when frames are centred", "constant")
      .flag("--no-center", "frames start at the signal's first sample instead of being centred")
      .option("--top-db", "DB", "dB floor below the peak for mel_db and mfcc; 'none' disables", "80")
      .option("--offset", "SECONDS", "start reading here", "0")
      .option("--duration", "SECONDS", "read only this long");
}

dsp::FeatureSpec feature_spec_from(const ArgParser& p) {
  dsp::FeatureSpec spec;
  spec.kind = p.text("--kind");
  const auto& kinds = dsp::FeatureSpec::kinds();
  if (std::find(kinds.begin(), kinds.end(), spec.kind) == kinds.end())
    throw UsageError("unknown --kind '" + spec.kind +
                     "' (mfcc, mel, mel_db, mel_amp_db, stft, zcr, rms, chroma, delta)");
  spec.load.offset = p.number("--offset");
  if (p.given("--duration")) spec.load.duration = p.number("--duration");
  if (p.given("--sr")) spec.load.sample_rate = p.integer("--sr");
  spec.stft.n_fft = p.integer("--n-fft");
  spec.stft.hop_length = p.given("--hop") ? p.integer("--hop") : 0;
  spec.stft.win_length = p.given("--win-length") ? p.integer("--win-length") : 0;
  spec.stft.center = !p.flag_set("--no-center");
  try {
    spec.stft.pad_mode = dsp::parse_pad_mode(p.text("--pad-mode"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--pad-mode: ") + e.what());
  }
  spec.mel.n_mels = p.integer("--n-mels");
  spec.mel.htk = p.flag_set("--htk");
  const std::string norm = p.text("--mel-norm");
  if (norm != "slaney" && norm != "none") throw UsageError("--mel-norm must be slaney or none");
  spec.mel.slaney_norm = norm == "slaney";
  spec.n_mfcc = p.integer("--n-mfcc");
  spec.db.top_db = p.text("--top-db") == "none" ? -1.0 : p.number("--top-db");
  try {
    spec.validate();
  } catch (const dsp::SettingError& e) {
    // "hop must be ..." is said as "--hop must be ...": the option the user typed.
    std::string option = e.key() == "sample_rate" ? "--sr" : "--" + e.key();
    std::replace(option.begin(), option.end(), '_', '-');
    std::string what = e.what();
    if (what.rfind(e.key() + " ", 0) == 0) what = option + what.substr(e.key().size());
    throw UsageError(what);
  }
  return spec;
}

}  // namespace ser::experiments
