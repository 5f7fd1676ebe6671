#include "nn/optim/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace ser::nn {

float StepDecay::lr(int epoch) const {
  if (step_size < 1) throw std::invalid_argument("step decay: step_size must be >= 1");
  return initial * std::pow(gamma, static_cast<float>(epoch / step_size));
}

ReduceLROnPlateau::ReduceLROnPlateau(float factor, int patience, float min_lr, float min_delta, int cooldown)
    : factor_(factor), min_lr_(min_lr), min_delta_(min_delta), patience_(patience), cooldown_(cooldown) {
  if (!(factor > 0.0f && factor < 1.0f)) throw std::invalid_argument("ReduceLROnPlateau: factor must be in (0, 1)");
  if (patience < 0 || cooldown < 0) throw std::invalid_argument("ReduceLROnPlateau: patience and cooldown >= 0");
}

float ReduceLROnPlateau::update(float metric, float current_lr) {
  if (state.cooldown_left > 0) {
    --state.cooldown_left;
    state.wait = 0;
  }
  if (metric < state.best - min_delta_) {
    state.best = metric;
    state.wait = 0;
    return current_lr;
  }
  if (state.cooldown_left > 0) return current_lr;
  if (++state.wait >= patience_) {
    state.wait = 0;
    state.cooldown_left = cooldown_;
    return std::max(current_lr * factor_, min_lr_);
  }
  return current_lr;
}

}  // namespace ser::nn
