#pragma once
// Every corpus ser reads, one table: its name (as configs and `ser data
// --dataset` write it), whether it holds audio or images, the label sets it
// offers and its loader. Configs, `ser data`, the model's input shape and
// the data preparation all ask this table; adding a corpus is one loader
// and one entry (corpus_registry.cpp).

#include <span>
#include <string>
#include <vector>

#include "datasets/audio_corpora.hpp"
#include "datasets/corpus.hpp"

namespace ser::datasets {

enum class CorpusKind { audio, image };

struct CorpusInfo {
  const char* name;
  const char* what;  // for --help
  CorpusKind kind;
  bool speaker_emotion = false;           // offers 14 speaker x emotion classes (labels: speaker_emotion)
  bool song = false;                      // has sung files to keep or leave out (data.song)
  bool gender = false;                    // says each speaker's gender (labels: gender, split by gender)
  bool intensity = false;                 // records each utterance's intensity (data.intensity)
  bool statement = false;                 // RAVDESS's two statements (data.statement)
  int image_height = 0, image_width = 0;  // image corpora: the size of every image
  // Exactly one of the two loaders, by kind.
  Corpus (*load_audio)(const std::string& root, const AudioCorpusOptions& options) = nullptr;
  ImageCorpus (*load_images)(const std::string& root) = nullptr;
};

std::span<const CorpusInfo> corpora();
std::vector<std::string> corpus_names();
// Throws std::invalid_argument naming the known corpora for an unknown name.
const CorpusInfo& corpus_info(const std::string& name);

}  // namespace ser::datasets
