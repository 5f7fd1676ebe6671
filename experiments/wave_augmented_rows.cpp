#include "experiments/wave_augmented_rows.hpp"

#include <omp.h>

#include <atomic>
#include <cstring>
#include <tuple>

#include "common/round_robin.hpp"
#include "common/thread_count.hpp"
#include "datasets/augmentation.hpp"
#include "datasets/feature_cache.hpp"
#include "dsp/audio.hpp"
#include "experiments/progress.hpp"

namespace ser::experiments {

struct WaveAugmentedRows::Recording {
  std::string path;
  std::vector<std::vector<float>> samples;  // per distinct load setting
  std::vector<int> rates;
};

namespace {
bool same_load(const dsp::LoadOptions& a, const dsp::LoadOptions& b) {
  return std::tie(a.offset, a.duration, a.sample_rate, a.quality) == std::tie(b.offset, b.duration, b.sample_rate, b.quality);
}
}  // namespace

WaveAugmentedRows::WaveAugmentedRows(const datasets::WaveAugment& augment, const ModelInput& input,
                                     const datasets::Corpus& corpus, std::vector<float> unscaled,
                                     std::vector<float> scaled, std::vector<size_t> train, uint64_t seed, int threads,
                                     std::ostream& log)
    : augment_(augment), input_(input), unscaled_(std::move(unscaled)), x_(std::move(scaled)),
      train_(std::move(train)), seed_(seed), threads_(thread_count(threads)) {
  std::vector<dsp::LoadOptions> loads;  // the feature sets' distinct load settings (usually one)
  for (const auto& spec : input_.sets) {
    extractors_.push_back(std::make_unique<dsp::FeatureExtractor>(spec));
    size_t k = 0;
    while (k < loads.size() && !same_load(loads[k], spec.load)) ++k;
    if (k == loads.size()) loads.push_back(spec.load);
    load_of_set_.push_back(k);
  }
  for (const auto& s : corpus.samples) {
    speakers_.push_back(s.corpus + "/" + s.speaker);
    recordings_.push_back(s.augmentation.empty());
  }
  audio_.resize(train_.size());
  std::atomic<int64_t> bytes{0};
  ProgressBar bar("loading audio for augmentation.wave");
  const auto n = static_cast<int64_t>(train_.size());
  // A file that fed the features a moment ago and cannot be read now stops the run: load_audio's error names it.
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads_)
  for (int64_t t = 0; t < n; ++t) {
    const datasets::Sample& sample = corpus.samples[train_[static_cast<size_t>(t)]];
    Recording& r = audio_[static_cast<size_t>(t)];
    r.path = sample.path;
    for (const auto& load : loads) {
      // An offline copy is redrawn from its recipe's audio, as its cached features were made.
      dsp::Audio a = datasets::load_sample_audio(sample, load);
      bytes += static_cast<int64_t>(a.samples.size() * sizeof(float));
      r.samples.push_back(std::move(a.samples));
      r.rates.push_back(a.sample_rate);
    }
    if (omp_get_thread_num() == 0) bar.update(t + 1, n);
  }
  bar.finish();
  log << "augmentation.wave: " << n << " training recordings held in memory ("
      << (bytes.load() + (1 << 19)) / (1 << 20) << " MiB); their features are extracted afresh every epoch\n";
}

WaveAugmentedRows::~WaveAugmentedRows() = default;

// Training row t's unscaled input in epoch `epoch`.
std::vector<float> WaveAugmentedRows::extract(size_t t, int epoch) const {
  const Recording& r = audio_[t];
  std::vector<std::vector<float>> redrawn;
  for (size_t k = 0; k < r.samples.size(); ++k) {
    // The same generator for each load setting: the same speed, gain and SNR draws.
    Rng rng = datasets::wave_augment_rng(seed_, epoch, train_[t]);
    redrawn.push_back(augment_.apply(r.samples[k], r.rates[k], rng));
  }
  std::vector<dsp::Matrix> mats;
  for (size_t s = 0; s < extractors_.size(); ++s) {
    const size_t k = load_of_set_[s];
    mats.push_back(datasets::as_cached((*extractors_[s])(redrawn[k], r.rates[k])));
  }
  return input_.assemble(mats);
}

// Scales the fresh training rows (train_ order) with the fitted statistics;
// per_speaker takes each speaker's statistics from the recordings as they
// were, exactly as the unaugmented rows were scaled.
void WaveAugmentedRows::scale(std::vector<float>& fresh) const {
  if (input_.scaling != Scaling::per_speaker) {
    input_.scale_rows(fresh);
    return;
  }
  std::vector<float> all = unscaled_;
  all.insert(all.end(), fresh.begin(), fresh.end());
  std::vector<std::string> speakers = speakers_;
  std::vector<bool> statistics = recordings_;
  for (size_t i : train_) {
    speakers.push_back(speakers_[i]);
    statistics.push_back(false);
  }
  input_.scale_rows(all, speakers, statistics);
  std::memcpy(fresh.data(), all.data() + unscaled_.size(), fresh.size() * sizeof(float));
}

std::span<const float> WaveAugmentedRows::rows(int epoch, std::ostream& log, const Communicator& comm) {
  const auto D = static_cast<int64_t>(input_.sample_shape().numel());
  const auto n = static_cast<int64_t>(train_.size());
  // In a job of several ranks each redraws every size()-th row; all get all.
  const RoundRobin share(n, comm);
  const int64_t mine = share.count();
  std::vector<float> fresh(static_cast<size_t>(mine * D));
  std::vector<std::string> errors(static_cast<size_t>(mine));
  ProgressBar bar("augmenting epoch " + std::to_string(epoch), /*plain_lines=*/false);
  std::atomic<int64_t> done{0};
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads_)
  for (int64_t j = 0; j < mine; ++j) {
    const auto k = static_cast<size_t>(share.item(j));
    try {
      const std::vector<float> row = extract(k, epoch);
      std::memcpy(fresh.data() + j * D, row.data(), static_cast<size_t>(D) * sizeof(float));
    } catch (const std::exception& e) {
      // Kept as recorded this epoch (unscaled, so it is scaled with the rest).
      errors[static_cast<size_t>(j)] = audio_[k].path + " (used as recorded this epoch): " + e.what();
      std::memcpy(fresh.data() + j * D, unscaled_.data() + static_cast<int64_t>(train_[k]) * D,
                  static_cast<size_t>(D) * sizeof(float));
    }
    const int64_t d = ++done;
    if (omp_get_thread_num() == 0) bar.update(d, mine);
  }
  bar.finish();
  std::string failures;
  for (const auto& e : errors)
    if (!e.empty()) failures += "epoch " + std::to_string(epoch) + ": augmentation.wave failed on " + e + "\n";
  for (const auto& part : comm.all_gather(failures)) log << part;
  std::vector<float> ordered = share.gather(fresh, [D](int64_t) { return D; });
  scale(ordered);
  for (size_t k = 0; k < train_.size(); ++k)
    std::memcpy(x_.data() + static_cast<int64_t>(train_[k]) * D, ordered.data() + static_cast<int64_t>(k) * D,
                static_cast<size_t>(D) * sizeof(float));
  return x_;
}

}  // namespace ser::experiments
