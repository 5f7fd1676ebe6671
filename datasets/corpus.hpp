#pragma once
// A loaded corpus: every usable file with what its name says about it, and
// every file that was skipped with the reason. Loaders never stop on one bad
// file; they record it and go on.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ser::datasets {

struct Sample {
  std::string path;
  std::string corpus;     // "tess", "ravdess", ...
  std::string speaker;    // TESS OAF/YAF, RAVDESS actor "01".."24", SAVEE DC/JE/JK/KL, CREMA-D actor "1001"...
  std::string label;      // in the corpus's own vocabulary, or after a LabelMap
  std::string word;       // TESS: the target word; RAVDESS: the statement ("kids", "dogs"); CREMA-D: the sentence code
  std::string gender;     // "female", "male" or "" when the corpus does not say
  std::string intensity;  // RAVDESS "normal"/"strong"; CREMA-D "low"/"medium"/"high"/"unspecified"; else ""
  std::string source;     // an augmented copy: the path of the file it was made from
  std::string augmentation;  // an augmented copy: its recipe, copy number and seed (datasets/augmentation.hpp)
  std::string partition;     // the corpus's own partition, if any: FER2013 "train"/"test" folders or CSV Usage
  double seconds = 0;
  int sample_rate = 0;
};

struct Skipped {
  std::string path;
  std::string reason;
};

struct Corpus {
  std::string name;
  std::vector<std::string> labels;  // the vocabulary, in a fixed order; label index = position
  std::vector<Sample> samples;      // sorted by path: the same folder gives the same order
  std::vector<Skipped> skipped;

  int label_index(const std::string& label) const;  // -1 when absent
};

// An image corpus: its files and their grayscale pixels.
struct ImageCorpus {
  Corpus corpus;
  int height = 48, width = 48;
  std::vector<uint8_t> pixels;  // samples.size() x height x width, in sample order
};

}  // namespace ser::datasets
