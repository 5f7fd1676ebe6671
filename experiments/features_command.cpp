#include "experiments/features_command.hpp"

#include <algorithm>
#include <iostream>

#include "common/npy.hpp"
#include "dsp/audio.hpp"
#include "dsp/chroma.hpp"
#include "dsp/delta.hpp"
#include "dsp/framewise.hpp"
#include "dsp/mfcc.hpp"
#include "experiments/arg_parser.hpp"

namespace ser::experiments {

namespace {
const char* kKinds = "mfcc, mel, mel_db, stft, zcr, rms, chroma, delta";
}

int features_command(const std::vector<std::string>& args) {
  ArgParser p("features",
              "Computes one feature of AUDIO with librosa 0.10's defaults and writes it as a NumPy\n"
              ".npy array shaped [features, frames], as librosa returns it (np.load reads it).\n"
              "Kinds: mfcc, mel (power), mel_db (power_to_db of mel), stft (magnitude), zcr, rms,\n"
              "chroma (chroma_stft), delta (first-order delta of the MFCCs, width 9).");
  p.positional("AUDIO", "any file libsndfile reads (WAV, FLAC, AIFF, OGG), by content")
      .option("--kind", "KIND", std::string("one of ") + kKinds)
      .option("--out", "FILE.npy", "where to write the array")
      .option("--sr", "HZ", "resample to this rate with soxr HQ; default: the file's own rate")
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
      .option("--duration", "SECONDS", "read only this long")
      .option("--dtype", "float32|float64", "element type of the .npy", "float32");
  if (!p.parse(args)) return 0;

  const std::string kind = p.text("--kind"), path = p.positionals()[0], out = p.text("--out");
  const std::vector<std::string> kinds = {"mfcc", "mel", "mel_db", "stft", "zcr", "rms", "chroma", "delta"};
  if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end())
    throw UsageError("unknown --kind '" + kind + "' (" + kKinds + ")");
  const std::string dtype = p.text("--dtype");
  if (dtype != "float32" && dtype != "float64") throw UsageError("--dtype must be float32 or float64");

  dsp::LoadOptions load;
  load.offset = p.number("--offset");
  if (p.given("--duration")) load.duration = p.number("--duration");
  if (p.given("--sr")) load.sample_rate = p.integer("--sr");
  dsp::StftOptions stft;
  stft.n_fft = p.integer("--n-fft");
  stft.hop_length = p.given("--hop") ? p.integer("--hop") : 0;
  stft.win_length = p.given("--win-length") ? p.integer("--win-length") : 0;
  stft.center = !p.flag_set("--no-center");
  try {
    stft.pad_mode = dsp::parse_pad_mode(p.text("--pad-mode"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--pad-mode: ") + e.what());
  }
  dsp::MelOptions mel;
  mel.n_mels = p.integer("--n-mels");
  mel.htk = p.flag_set("--htk");
  const std::string norm = p.text("--mel-norm");
  if (norm != "slaney" && norm != "none") throw UsageError("--mel-norm must be slaney or none");
  mel.slaney_norm = norm == "slaney";
  dsp::DbOptions db;
  const std::string top = p.text("--top-db");
  db.top_db = top == "none" ? -1.0 : p.number("--top-db");

  const dsp::Audio audio = dsp::load_audio(path, load);
  const double sr = audio.sample_rate;
  dsp::Matrix m;
  try {
    if (kind == "stft") {
      m = dsp::Stft(stft).spectrogram(audio.samples, 1.0);
    } else if (kind == "mel") {
      m = dsp::melspectrogram(audio.samples, sr, stft, mel);
    } else if (kind == "mel_db") {
      m = dsp::power_to_db(dsp::melspectrogram(audio.samples, sr, stft, mel), db);
    } else if (kind == "mfcc" || kind == "delta") {
      dsp::MfccOptions o;
      o.n_mfcc = p.integer("--n-mfcc");
      o.stft = stft;
      o.mel = mel;
      o.db = db;
      m = dsp::mfcc(audio.samples, sr, o);
      if (kind == "delta") m = dsp::delta(m, 9, 1);
    } else if (kind == "zcr" || kind == "rms") {
      dsp::FrameOptions f{stft.n_fft, stft.hop_length ? stft.hop_length : stft.n_fft / 4, stft.center};
      m = kind == "zcr" ? dsp::zero_crossing_rate(audio.samples, f) : dsp::rms(audio.samples, f, stft.pad_mode);
    } else {
      dsp::ChromaOptions o;
      o.stft = stft;
      m = dsp::chroma_stft(audio.samples, sr, o);
    }
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error("'" + path + "': " + e.what());
  }
  const std::vector<int64_t> shape = {m.rows, m.cols};
  if (dtype == "float64")
    write_npy(out, shape, m.data);
  else
    write_npy(out, shape, std::vector<float>(m.data.begin(), m.data.end()));
  std::cout << "wrote " << out << ": " << kind << " [" << m.rows << ", " << m.cols << "] " << dtype << " from " << path
            << " (" << audio.format << ", " << audio.sample_rate << " Hz, " << audio.seconds() << " s)\n";
  return 0;
}

}  // namespace ser::experiments
