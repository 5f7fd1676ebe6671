#pragma once
// Learning-rate schedules, evaluated once per epoch.

#include <limits>

namespace ser::nn {

// lr = initial * gamma ^ floor(epoch / step_size)   (epoch counted from 0)
struct StepDecay {
  float initial, gamma;
  int step_size;
  float lr(int epoch) const;
};

// Keras's ReduceLROnPlateau on a metric to minimise (for example validation
// loss): after `patience` epochs without an improvement larger than
// min_delta, lr *= factor (not below min_lr), then `cooldown` epochs of rest.
class ReduceLROnPlateau {
 public:
  ReduceLROnPlateau(float factor = 0.1f, int patience = 10, float min_lr = 0.0f, float min_delta = 1e-4f,
                    int cooldown = 0);
  // Returns the learning rate to use for the next epoch.
  float update(float metric, float current_lr);

  // What changes from epoch to epoch; checkpoints save and restore it whole.
  struct State {
    float best = std::numeric_limits<float>::infinity();
    int wait = 0, cooldown_left = 0;
  };
  State state;

 private:
  float factor_, min_lr_, min_delta_;
  int patience_, cooldown_;
};

}  // namespace ser::nn
