#include "experiments/training_run.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "nn/model_file.hpp"

namespace ser::experiments {

LrSchedule::LrSchedule(const ScheduleConfig& config, double initial_lr, int epochs)
    : config_(config),
      initial_(static_cast<float>(initial_lr)),
      epochs_(epochs),
      plateau_(static_cast<float>(config.factor), config.patience) {}

float LrSchedule::first() const {
  return config_.warmup > 0 ? initial_ / static_cast<float>(config_.warmup) : initial_;
}

float LrSchedule::after_epoch(int epoch, double val_loss, float current) {
  const int next = epoch + 1, warm = config_.warmup;
  if (next <= warm) return initial_ * static_cast<float>(next) / static_cast<float>(warm);
  const int since = epoch - warm;  // epochs of the schedule proper so far
  switch (config_.kind) {
    case ScheduleKind::step:
      return nn::StepDecay{initial_, static_cast<float>(config_.factor), config_.step}.lr(since);
    case ScheduleKind::cosine: {
      const double span = std::max(1, epochs_ - warm);
      return static_cast<float>(initial_ * 0.5 * (1.0 + std::cos(std::numbers::pi * since / span)));
    }
    case ScheduleKind::plateau:
      return std::isnan(val_loss) ? current : plateau_.update(static_cast<float>(val_loss), current);
    case ScheduleKind::none:
      break;
  }
  return current;
}

std::unique_ptr<nn::Optimizer> make_optimizer(const OptimizerConfig& o, std::vector<nn::Tensor> params) {
  switch (o.kind) {
    case OptimizerKind::sgd:
      return std::make_unique<nn::Sgd>(
          std::move(params), nn::SgdOptions{static_cast<float>(o.lr), static_cast<float>(o.momentum), o.nesterov});
    case OptimizerKind::rmsprop:
      return std::make_unique<nn::RmsProp>(
          std::move(params),
          nn::RmsPropOptions{static_cast<float>(o.lr), static_cast<float>(o.rho), static_cast<float>(o.epsilon)});
    case OptimizerKind::adam:
      break;
  }
  return std::make_unique<nn::Adam>(std::move(params),
                                    nn::AdamOptions{static_cast<float>(o.lr), static_cast<float>(o.beta1),
                                                    static_cast<float>(o.beta2), static_cast<float>(o.epsilon)});
}

namespace {
// Fine-tuning: every weight and buffer from model.init, which must be the
// same architecture (as `ser import --config-out` writes it).
void start_from(nn::Sequential& model, const std::string& path) {
  nn::Sequential given = nn::load_model(path);
  std::vector<nn::NamedTensor> have = model.state(), from = given.state();
  if (have.size() != from.size())
    throw std::runtime_error("model.init '" + path + "' holds " + std::to_string(from.size()) + " tensors, the config's model " +
                             std::to_string(have.size()) + ": the layers must be the same");
  for (size_t i = 0; i < have.size(); ++i) {
    if (!(have[i].tensor.shape() == from[i].tensor.shape()))
      throw std::runtime_error("model.init '" + path + "': " + from[i].name + " is " + from[i].tensor.shape().str() +
                               ", the config's " + have[i].name + " is " + have[i].tensor.shape().str() +
                               ": the layers must be the same");
    std::copy(from[i].tensor.values().begin(), from[i].tensor.values().end(), have[i].tensor.data());
  }
}

nn::Sequential build_model(const ExperimentConfig& c, const nn::Shape& sample_shape) {
  Rng init(c.seed);
  nn::Sequential model(c.layers, sample_shape, init, c.name);
  if (!c.init.empty()) start_from(model, c.init);
  return model;
}
}  // namespace

TrainingRun::TrainingRun(const ExperimentConfig& c, const nn::Shape& sample_shape, std::vector<size_t> train)
    : model(build_model(c, sample_shape)),
      optimizer(make_optimizer(c.training.optimizer, model.parameter_tensors())),
      schedule(c.training.schedule, c.training.optimizer.lr, c.training.epochs),
      shuffle(c.seed + 1),
      dropout(c.seed + 2) {
  progress.order = std::move(train);
  optimizer->set_learning_rate(schedule.first());
  progress.history = kHistoryHeader;
}

TrainingState TrainingRun::snapshot(int recorded_epoch) {
  TrainingState s{.progress = progress,
                  .model = nn::serialize_model(model),
                  .optimizer = {},
                  .lr = optimizer->learning_rate(),
                  .shuffle = shuffle.state(),
                  .dropout = dropout.state(),
                  .plateau = schedule.plateau().state};
  s.progress.epoch = recorded_epoch;
  for (auto* v : optimizer->state()) s.optimizer.push_back(*v);
  return s;
}

void TrainingRun::restore(TrainingState saved) {
  auto st = optimizer->state();
  for (size_t i = 0; i < st.size(); ++i) *st[i] = std::move(saved.optimizer[i]);
  optimizer->set_learning_rate(saved.lr);
  shuffle.restore(saved.shuffle);
  dropout.restore(saved.dropout);
  schedule.plateau().state = saved.plateau;
  progress = std::move(saved.progress);
}

}  // namespace ser::experiments
