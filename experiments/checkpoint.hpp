#pragma once
// Checkpoints: all of a run's training state between two epochs, in one file
// written atomically (a kill leaves the previous checkpoint or the new one).
//
// A checkpoint is read back as untrusted input. The envelope is the model
// file's (magic, version, length, CRC-32: common/framed_file.hpp); every
// length is checked against the bytes present; and before a run continues
// from it, everything in it is checked against the run it claims to
// continue: the config's fingerprint, the data and split's fingerprint
// (files added to the data folder must not reach training), each tensor's
// name and shape, the optimiser state's sizes, the epoch, the order (a
// permutation of the training rows), the random generators' states and the
// learning rate. Whatever fails is refused, naming the file and the field.
//
// Layout of the body (little-endian), format version 1:
//   u64 config_fingerprint  u64 data_fingerprint  u32 epoch
//   blob model  blob best_model  blob history          (blob = u64 length + bytes)
//   u32 n, each: u64 count + f32[count]                 optimiser state
//   f32 lr  rng shuffle  rng dropout                    (rng = u64[4] u8 has_spare f32 spare)
//   u64 count + u64[count] order
//   f64 best_val  i32 since_best  f32 plateau_best  i32 plateau_wait  i32 plateau_cooldown

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/rng.hpp"
#include "datasets/corpus.hpp"
#include "datasets/split.hpp"
#include "nn/optim/schedule.hpp"
#include "nn/sequential.hpp"

namespace ser::experiments {

// A checkpoint that cannot be used; the message names the file and the field.
class CheckpointError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How far a run has come: plain values, which the run holds and a
// checkpoint saves as they are.
struct RunProgress {
  int epoch = 0;              // epochs finished
  std::vector<size_t> order;  // the training rows in their current shuffled order
  std::string history;        // history.csv so far
  std::string best_model;     // the model of the best validation epoch, serialised (or empty)
  double best_val = -1;       // best validation accuracy, -1 before the first
  int since_best = 0;         // epochs since it
};

// What a run carries from one epoch to the next: its progress, and the
// saved form of its live objects (the model and the optimiser, the
// generators, the learning-rate plateau).
struct TrainingState {
  RunProgress progress;
  std::string model;  // a model file's bytes
  std::vector<std::vector<float>> optimizer;
  float lr = 0;
  Rng::State shuffle{}, dropout{};
  nn::ReduceLROnPlateau::State plateau;
};

// What a checkpoint must match to be resumed.
struct CheckpointKey {
  uint64_t config = 0;  // fingerprint of the resolved config
  uint64_t data = 0;    // fingerprint of the files, labels and split (data_fingerprint)
};

// The checkpoint a run writes: a checkpoint's bytes for `state` under `key`.
std::string encode_checkpoint(const CheckpointKey& key, const TrainingState& state);

// Reads and checks a checkpoint's envelope and structure (sizes against the
// bytes present, plain ranges: epoch, RNG states, learning rate, counters).
// Throws CheckpointError naming `path`.
std::pair<CheckpointKey, TrainingState> read_checkpoint(const std::string& path);

// What the run being resumed expects of a checkpoint.
struct ResumeTarget {
  CheckpointKey key;
  int epochs = 0;                          // the config's training.epochs
  std::vector<size_t> train;               // the split's training rows
  std::vector<size_t> optimizer_sizes;     // length of each optimiser state vector
};

// Checks `state` against `target` and `model` (the run's freshly built model:
// every tensor's name and shape), then copies the checkpoint's weights into
// `model`. Throws CheckpointError naming `path` and what differs.
void resume_into(const std::string& path, const CheckpointKey& found, const TrainingState& state,
                 const ResumeTarget& target, nn::Sequential& model);

// A fingerprint of which files (relative to their corpus root, so a data set
// moved elsewhere still resumes), with which labels and copies, fall on which
// side of the split.
uint64_t data_fingerprint(const datasets::Corpus& corpus, const datasets::Split& split,
                          const std::map<std::string, std::string>& roots);

}  // namespace ser::experiments
