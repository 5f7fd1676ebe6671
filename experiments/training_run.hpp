#pragma once
// All state of one training run, in one struct (as llm.c keeps a run): the
// model, the optimiser, the learning-rate schedule, the random generators,
// the order of the training rows and the progress so far. A checkpoint is
// exactly this struct (snapshot() and restore() are the only conversions),
// so a killed run continues from it to the same bytes.

#include <memory>
#include <string>
#include <vector>

#include "common/rng.hpp"
#include "experiments/checkpoint.hpp"
#include "experiments/config.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/optim/schedule.hpp"
#include "nn/sequential.hpp"

namespace ser::experiments {

// history.csv's header: one row per epoch (a classical model's one fitted row) follows.
inline constexpr const char* kHistoryHeader = "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds\n";

// The learning rate from epoch to epoch: constant, step decay from the
// configured rate, ReduceLROnPlateau on the validation loss, or cosine
// decay from the configured rate to 0 over the epochs; any of them after a
// linear warm-up of `warmup` epochs (the schedule then counts its epochs
// from the warm-up's end). Its state (the plateau's counters) lives here,
// not in the loop.
class LrSchedule {
 public:
  LrSchedule(const ScheduleConfig& config, double initial_lr, int epochs);
  // The rate of the first epoch.
  float first() const;
  // The rate for the epoch after `epoch` (counted from 1), given that
  // epoch's validation loss (NaN when there is no validation split).
  float after_epoch(int epoch, double val_loss, float current);
  nn::ReduceLROnPlateau& plateau() { return plateau_; }
  const nn::ReduceLROnPlateau& plateau() const { return plateau_; }

 private:
  ScheduleConfig config_;
  float initial_;
  int epochs_;
  nn::ReduceLROnPlateau plateau_;
};

struct TrainingRun {
  nn::Sequential model;
  std::unique_ptr<nn::Optimizer> optimizer;
  LrSchedule schedule;
  Rng shuffle, dropout;
  RunProgress progress;

  // A fresh run of config `c` on training rows `train`: the model built
  // from seed c.seed, the generators from c.seed + 1 and + 2.
  TrainingRun(const ExperimentConfig& c, const nn::Shape& sample_shape, std::vector<size_t> train);

  // The checkpoint of this run, recording `epoch` as finished.
  TrainingState snapshot(int recorded_epoch);
  // Takes over a checkpoint that resume_into() has checked against this run
  // (and whose weights it has copied into `model`).
  void restore(TrainingState saved);
};

std::unique_ptr<nn::Optimizer> make_optimizer(const OptimizerConfig& o, std::vector<nn::Tensor> params);

}  // namespace ser::experiments
