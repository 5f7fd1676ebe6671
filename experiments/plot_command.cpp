#include "experiments/plot_command.hpp"

#include <filesystem>
#include <iostream>

#include "dsp/audio.hpp"
#include "dsp/feature_spec.hpp"
#include "experiments/arg_parser.hpp"
#include "experiments/audio_plot.hpp"
#include "experiments/feature_options.hpp"

namespace ser::experiments {

int plot_command(const std::vector<std::string>& args) {
  ArgParser p("plot",
              "Draws one audio file as the published notebooks show their examples: the waveform, the\n"
              "mel spectrogram in dB and the MFCCs on one time axis, as a PNG. The analysis settings\n"
              "are those of `ser features` (sample rate, n_fft, hop, n_mels, n_mfcc, offset, duration).\n"
              "Example: ser plot ../shared/data/tess/OAF_angry/OAF_base_angry.flac --out base.png");
  p.positional("AUDIO", "an audio file (any format ser reads)")
      .option("--out", "FILE.png", "the picture to write")
      .option("--width", "PIXELS", "width of the picture", "1200");
  add_feature_options(p, "mfcc");
  if (!p.parse(args)) return 0;
  const std::string audio_path = p.positionals()[0];
  if (!p.given("--out")) throw UsageError("--out FILE.png is required: the picture to write");
  dsp::FeatureSpec mfcc = feature_spec_from(p);
  mfcc.kind = dsp::FeatureKind::mfcc;
  dsp::FeatureSpec mel = mfcc;
  mel.kind = dsp::FeatureKind::mel_db;
  const dsp::Audio audio = dsp::load_audio(audio_path, mfcc.load);
  const dsp::Matrix mel_db = dsp::FeatureExtractor(mel)(audio.samples, audio.sample_rate);
  const dsp::Matrix coefficients = dsp::FeatureExtractor(mfcc)(audio.samples, audio.sample_rate);
  AudioPicture picture;
  char title[512];
  std::snprintf(title, sizeof(title), "%s   %d Hz   %.2f s   %lld mel bands, %lld MFCCs",
                std::filesystem::path(audio_path).filename().string().c_str(), audio.sample_rate,
                static_cast<double>(audio.samples.size()) / audio.sample_rate, static_cast<long long>(mel_db.rows),
                static_cast<long long>(coefficients.rows));
  picture.title = title;
  picture.wave = audio.samples;
  picture.sample_rate = audio.sample_rate;
  picture.mel_db = &mel_db;
  picture.mfcc = &coefficients;
  write_audio_plot(p.text("--out"), picture, static_cast<int>(p.integer("--width")));
  std::cout << "wrote " << p.text("--out") << "\n";
  return 0;
}

}  // namespace ser::experiments
