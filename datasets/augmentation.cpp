#include "datasets/augmentation.hpp"

#include <filesystem>
#include <map>
#include <sstream>
#include <stdexcept>

#include "common/text.hpp"
#include "dsp/augment.hpp"

namespace ser::datasets {

bool AugmentRecipe::identity() const {
  return stretch == 1.0 && pitch == 0.0 && shift_seconds == 0.0 && gain_db == 0.0 && noise == 0.0 && snr_db == 0.0;
}

void AugmentRecipe::register_settings(Settings& s) {
  s.number("stretch", stretch, 0.1, 10.0, "time-stretch rate (1 keeps the speed)");
  s.number("pitch", pitch, -24.0, 24.0, "pitch shift").unit("semitones");
  s.number("shift_seconds", shift_seconds, 0.0, 60.0, "roll by a uniform draw from [-s, s]").unit("seconds");
  s.number("gain_db", gain_db, 0.0, 60.0, "gain drawn uniformly from [-g, g]").unit("dB");
  s.number("noise", noise, 0.0, 10.0, "the Kaggle noise factor (times the peak)");
  s.number("snr_db", snr_db, -30.0, 120.0, "white noise at this SNR").unit("dB").special(0, "none");
}

std::string AugmentRecipe::canonical() const {
  std::ostringstream s;
  s.precision(17);
  s << "stretch=" << stretch << ";pitch=" << pitch << ";shift=" << shift_seconds << ";gain_db=" << gain_db
    << ";noise=" << noise << ";snr_db=" << snr_db;
  return s.str();
}

AugmentRecipe AugmentRecipe::parse(const std::string& text) {
  std::map<std::string, double*> fields;
  AugmentRecipe r;
  fields["stretch"] = &r.stretch;
  fields["pitch"] = &r.pitch;
  fields["shift"] = &r.shift_seconds;
  fields["gain_db"] = &r.gain_db;
  fields["noise"] = &r.noise;
  fields["snr_db"] = &r.snr_db;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ';')) {
    const size_t eq = item.find('=');
    const auto it = eq == std::string::npos ? fields.end() : fields.find(item.substr(0, eq));
    if (it == fields.end()) continue;  // copy= and seed= belong to the sample, not the recipe
    *it->second = std::stod(item.substr(eq + 1));
  }
  return r;
}

std::vector<float> AugmentRecipe::apply(std::span<const float> y, int sr, Rng& rng) const {
  std::vector<float> out(y.begin(), y.end());
  if (stretch != 1.0) out = dsp::time_stretch(out, stretch);
  if (pitch != 0.0) out = dsp::pitch_shift(out, sr, pitch);
  if (shift_seconds > 0.0) out = dsp::random_time_shift(out, sr, shift_seconds, rng, /*roll=*/true);
  if (gain_db > 0.0) out = dsp::random_gain(out, -gain_db, gain_db, rng);
  if (noise > 0.0) out = dsp::add_noise_relative_to_peak(out, rng, noise);
  if (snr_db != 0.0) out = dsp::add_noise_at_snr(out, snr_db, rng);
  return out;
}

Corpus with_augmented_copies(const Corpus& corpus, const std::vector<AugmentRecipe>& recipes, uint64_t seed) {
  Corpus out = corpus;
  out.samples.clear();
  for (const auto& s : corpus.samples) {
    out.samples.push_back(s);
    for (size_t k = 0; k < recipes.size(); ++k) {
      Sample copy = s;
      copy.source = s.path;
      copy.augmentation = recipes[k].canonical() + ";copy=" + std::to_string(k + 1) + ";seed=" + std::to_string(seed);
      out.samples.push_back(std::move(copy));
    }
  }
  return out;
}

std::vector<float> augment_sample(const Sample& sample, std::span<const float> y, int sample_rate) {
  // The file's folder and name, not its absolute path: the same copy wherever the corpus lives.
  const std::filesystem::path p(sample.path);
  const std::string name = p.parent_path().filename().string() + "/" + p.filename().string();
  Rng rng(fnv1a(sample.augmentation + "|" + name));
  return AugmentRecipe::parse(sample.augmentation).apply(y, sample_rate, rng);
}

dsp::Audio load_sample_audio(const Sample& sample, const dsp::LoadOptions& load) {
  dsp::Audio a = dsp::load_audio(sample.path, load);
  if (!sample.augmentation.empty()) a.samples = augment_sample(sample, a.samples, a.sample_rate);
  return a;
}

}  // namespace ser::datasets
