#pragma once
// Label vocabularies across corpora. Each corpus keeps its own labels; a
// mapping renames them into a common emotion set so that corpora can be
// combined (TESS + RAVDESS + SAVEE + CREMA-D, as two published projects do).

#include <map>
#include <string>
#include <vector>

#include "datasets/corpus.hpp"

namespace ser::datasets {

// angry, disgust, fear, happy, neutral, sad, surprise
const std::vector<std::string>& common_emotions();

// The usual renaming into common_emotions(): TESS ps -> surprise, RAVDESS
// fearful -> fear, surprised -> surprise, calm -> neutral (set calm_as_neutral
// false to drop calm instead). Labels already in the set map to themselves.
std::map<std::string, std::string> default_label_map(const std::string& corpus, bool calm_as_neutral = true);

// Renames every sample's label through `mapping` into `target` labels.
// A sample whose label has no mapping, or maps outside `target`, is moved to
// `skipped` with the reason.
Corpus map_labels(const Corpus& corpus, const std::map<std::string, std::string>& mapping,
                  const std::vector<std::string>& target);

// Gender as the label ("female", "male") or before it ("female_angry"), for
// the genders present. A sample whose corpus does not say its gender is
// moved to `skipped` with the reason.
enum class GenderLabels { gender, gender_emotion };
Corpus with_gender_labels(const Corpus& corpus, GenderLabels kind);

// Keeps the samples whose `field` (intensity, word, ...) equals `value`; the
// others go to `skipped`, the reason naming `what` and the value they had.
Corpus keep_samples(const Corpus& corpus, std::string Sample::*field, const std::string& value,
                    const std::string& what);

// Joins corpora that share one vocabulary (map them first). Sample order:
// corpus by corpus, as given.
Corpus combine(const std::vector<Corpus>& corpora);

}  // namespace ser::datasets
