#pragma once
// Train / validation / test splits that can be trusted.
//
// Every split works on origin units: a file together with its augmented
// copies (samples whose `source` names it). A unit never straddles two
// sides, so augmented copies always fall in the split of their source (the
// popular Kaggle recipe augments first and splits after, leaking copies of
// test files into training).
//
// Group splits keep every speaker (or TESS word, or gender) on one side only,
// so that speaker-independent results can be reported (and, by gender, a
// model trained on one gender is tested on the other).

#include <array>
#include <cstdint>
#include <vector>

#include "datasets/corpus.hpp"

namespace ser::datasets {

struct Split {
  std::vector<size_t> train, validation, test;  // indices into corpus.samples, ascending
};

// The sides with their names, train, validation, test (reports, charts).
struct NamedSide {
  const char* name;
  const std::vector<size_t>* rows;
};
inline std::array<NamedSide, 3> named_sides(const Split& s) {
  return {{{"train", &s.train}, {"validation", &s.validation}, {"test", &s.test}}};
}

struct Ratios {
  double train = 0.75, validation = 0.0, test = 0.25;
};

enum class GroupBy { none, speaker, word, gender };

// Per class: the units are shuffled (seeded) and cut by the ratios.
Split stratified_split(const Corpus& corpus, const Ratios& ratios, uint64_t seed);
// Whole groups are assigned to sides, in seeded order, to the side furthest
// below its share; every side with a positive ratio gets at least one group
// when there are enough. Throws when there are fewer groups than sides.
Split group_split(const Corpus& corpus, GroupBy by, const Ratios& ratios, uint64_t seed);
// k folds (train = the rest, test = the fold): stratified by class when `by`
// is none, otherwise whole groups per fold.
std::vector<Split> kfold(const Corpus& corpus, int k, uint64_t seed, GroupBy by = GroupBy::none);
// One split per speaker (or word): that group is the test set.
std::vector<Split> leave_one_group_out(const Corpus& corpus, GroupBy by);

}  // namespace ser::datasets
