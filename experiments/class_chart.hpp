#pragma once
// The class distribution of a corpus as a bar chart: files per class, in
// groups side by side -- the split's train, validation and test sides when
// a split is given, else each corpus of a combination, else the corpus's
// own parts (FER2013's train and test folders), else all files --
// with each bar's count written on it. `ser data --plot`.

#include <string>

#include "datasets/corpus.hpp"
#include "datasets/split.hpp"

namespace ser::experiments {

// Writes a PNG atomically; throws std::runtime_error for a name not ending in .png.
void write_class_chart(const std::string& path, const datasets::Corpus& corpus, const datasets::Split* split);

}  // namespace ser::experiments
