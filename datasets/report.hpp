#pragma once
// What a loaded corpus holds: counts per class (per corpus when combined),
// per speaker and per split side, durations and sample rates, and every
// skipped file with its reason.

#include <string>

#include "datasets/corpus.hpp"
#include "datasets/split.hpp"

namespace ser::datasets {

std::string report_text(const Corpus& corpus, const Split* split = nullptr);
// One JSON object: files, classes {label: count}, speakers {speaker: count}
// (when the corpus names them), genders and intensities {value: count} (when
// it records them), partitions {name: count} (the corpus's own,
// e.g. FER2013's train/test), corpora {corpus: {label: count}}, seconds
// {min, mean, max, total}, sample_rates {rate: count}, skipped [{path, reason}],
// and split {train, validation, test} with split_classes {side: {label:
// count}} when a split is given; with speakers, also split_speakers {side:
// [speaker]} and split_shared_speakers [those on more than one side].
std::string report_json(const Corpus& corpus, const Split* split = nullptr);

}  // namespace ser::datasets
