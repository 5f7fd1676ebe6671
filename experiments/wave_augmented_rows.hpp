#pragma once
// The training rows of one epoch under augmentation.wave: every training
// recording's waveform, held in memory, is redrawn (speed, gain, noise; see
// datasets/wave_augment) and its features are extracted afresh, assembled
// and scaled with the statistics training fitted, so the model sees new
// audio every epoch while validation and test rows stay as recorded.
// An epoch's rows depend only on (seed, epoch, row): the same on any thread
// count and after a resume.

#include <cstdint>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "common/communicator.hpp"

#include "datasets/corpus.hpp"
#include "datasets/wave_augment.hpp"
#include "dsp/feature_spec.hpp"
#include "experiments/model_input.hpp"

namespace ser::experiments {

class WaveAugmentedRows {
 public:
  // `unscaled` and `scaled` are every row's input before and after
  // `input`'s scaling (fitted); `train` the rows to redraw. Loads their audio.
  WaveAugmentedRows(const datasets::WaveAugment& augment, const ModelInput& input, const datasets::Corpus& corpus,
                    std::vector<float> unscaled, std::vector<float> scaled, std::vector<size_t> train, uint64_t seed,
                    int threads, std::ostream& log);
  ~WaveAugmentedRows();

  // Every row, the training rows as epoch `epoch` (counted from 1) draws
  // them. In a job of several ranks (every rank calls it) the rows are
  // redrawn in shares and every rank gets all; one process's bits.
  std::span<const float> rows(int epoch, std::ostream& log, const Communicator& comm = {});

 private:
  struct Recording;  // one training row's audio at each load setting the feature sets use
  std::vector<float> extract(size_t t, int epoch) const;
  void scale(std::vector<float>& fresh) const;

  datasets::WaveAugment augment_;
  ModelInput input_;
  std::vector<std::unique_ptr<dsp::FeatureExtractor>> extractors_;  // one per feature set
  std::vector<size_t> load_of_set_;                                 // which of a recording's audio a set reads
  std::vector<Recording> audio_;                                    // per training row
  std::vector<std::string> speakers_;                               // per row (per_speaker scaling)
  std::vector<bool> recordings_;                                    // per row: a recording, not an offline copy
  std::vector<float> unscaled_, x_;
  std::vector<size_t> train_;
  uint64_t seed_;
  int threads_;
};

}  // namespace ser::experiments
