#include "experiments/features_command.hpp"

#include <iostream>

#include "common/npy.hpp"
#include "experiments/feature_options.hpp"

namespace ser::experiments {

int features_command(const std::vector<std::string>& args) {
  ArgParser p("features",
              "Computes one feature of AUDIO with librosa 0.10's defaults and writes it as a NumPy\n"
              ".npy array shaped [features, frames], as librosa returns it (np.load reads it).\n" +
                  feature_kinds_help());
  p.positional("AUDIO", "any file libsndfile reads (WAV, FLAC, AIFF, OGG), by content")
      .option("--out", "FILE.npy", "where to write the array");
  add_feature_options(p);
  p.option("--dtype", "float32|float64", "element type of the .npy", "float32");
  if (!p.parse(args)) return 0;

  const std::string path = p.positionals()[0], out = p.text("--out"), dtype = p.text("--dtype");
  if (dtype != "float32" && dtype != "float64") throw UsageError("--dtype must be float32 or float64");
  const dsp::FeatureSpec spec = feature_spec_from(p);
  const dsp::FeatureExtractor extract(spec);
  const dsp::Audio audio = dsp::load_audio(path, spec.load);
  dsp::Matrix m;
  try {
    m = extract(audio.samples, audio.sample_rate);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error("'" + path + "': " + e.what());
  }
  const std::vector<int64_t> shape = {m.rows, m.cols};
  if (dtype == "float64")
    write_npy(out, shape, m.data);
  else
    write_npy(out, shape, std::vector<float>(m.data.begin(), m.data.end()));
  std::cout << "wrote " << out << ": " << spec.kind_name() << " [" << m.rows << ", " << m.cols << "] " << dtype << " from "
            << path << " (" << audio.format << ", " << audio.sample_rate << " Hz, " << audio.seconds() << " s)\n";
  return 0;
}

}  // namespace ser::experiments
