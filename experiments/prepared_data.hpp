#pragma once
// A config's data made ready for a model: the corpus (with augmented copies),
// each sample's input row (features from the cache, assembled by ModelInput,
// not yet scaled) and its class. Shared by `ser train` and `ser eval`.

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "common/communicator.hpp"
#include "datasets/corpus.hpp"
#include "experiments/config.hpp"
#include "experiments/model_input.hpp"

namespace ser::experiments {

struct PreparedData {
  datasets::Corpus corpus;  // the samples that made it, in order (files that failed are left out)
  std::vector<float> x;     // samples x sample_shape.numel()
  nn::Shape sample_shape;
  std::vector<int32_t> y;   // index into corpus.labels
};

// The config's audio corpora, labels mapped as configured, augmented copies
// added after each file. Skipped files are logged.
datasets::Corpus load_audio_corpora(const ExperimentConfig& config, std::ostream& log);

// Input rows for `corpus` as `input` describes them (features from the cache
// in `cache_dir`, extracted on `threads` threads where missing); a file whose
// features fail is logged and left out. In a job of several ranks (every
// rank calls it) the files are shared out and every rank gets every row.
PreparedData prepare_audio(const datasets::Corpus& corpus, const ModelInput& input, const std::string& cache_dir,
                           int threads, std::ostream& log, const Communicator& comm = {});

// Scales p.x as `input` says; per_speaker scaling groups the rows by corpus
// and speaker and takes each speaker's statistics from the recordings (not
// their augmented copies).
void scale_prepared(const ModelInput& input, PreparedData& p);

// FER2013 or MNIST pixels scaled to [0, 1].
PreparedData prepare_images(const ExperimentConfig& config);

}  // namespace ser::experiments
