// The checkpoint reader on arbitrary bytes, then the checks `ser resume`
// makes before continuing from it (against a small model's run).
#include <numeric>

#include "common/rng.hpp"
#include "experiments/checkpoint.hpp"
#include "fuzz_support.hpp"
#include "nn/optim/optimizer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ser::fuzz::MemFile file(data, size);
  using namespace ser::experiments;
  try {
    auto [key, state] = read_checkpoint(file.path());
    ser::Rng rng(1);
    ser::nn::Sequential model(ser::fuzz::tiny_specs(), ser::fuzz::tiny_input(), rng, "tiny");
    ser::nn::Adam adam(model.parameter_tensors(), {});
    ResumeTarget target{{ser::fuzz::kTinyConfig, ser::fuzz::kTinyData}, ser::fuzz::kTinyEpochs,
                        std::vector<size_t>(ser::fuzz::kTinyTrainRows), {}};
    std::iota(target.train.begin(), target.train.end(), size_t{0});
    for (auto* v : adam.state()) target.optimizer_sizes.push_back(v->size());
    resume_into(file.path(), key, state, target, model);
    // What the runner does next: restore the optimizer and the generators, shuffle once.
    auto st = adam.state();
    for (size_t i = 0; i < st.size(); ++i) *st[i] = state.optimizer[i];
    ser::Rng shuffle(0);
    shuffle.restore(state.shuffle);
    shuffle.shuffle(state.progress.order);
  } catch (const CheckpointError&) {
  }
  return 0;
}
