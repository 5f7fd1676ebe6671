#pragma once
// Extracted features kept on disk, so a second run does no extraction.
//
//   DIR/<spec key>/settings.txt      the spec's canonical text and the code's revision, for people
//   DIR/<spec key>/<file key>.npy    float32 [features, frames]
//
// An augmented copy (Sample::augmentation) is loaded, augmented, then
// extracted; its key adds the augmentation text to the file's.
// The spec key (a hash of the spec's canonical text and
// dsp::kExtractionRevision) changes with any setting or code change that
// changes the values; the file key is the file's absolute path, size and
// modification time, so an edited file is recomputed. Entries are written
// atomically (temporary file, then rename): a run killed at any point leaves
// only complete entries, and the next run computes what is missing. Values
// are rounded to float32 whether computed or read, so a run from the cache
// gives bit-for-bit what a run without it gives.

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/communicator.hpp"
#include "datasets/corpus.hpp"
#include "dsp/feature_spec.hpp"

namespace ser::datasets {

// The cache folder cannot be written (a full disk, no permission): fatal for
// the run, since going on would quietly train on fewer files.
class CacheError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Features as the cache keeps them (every value rounded to float32), so
// features computed elsewhere (augmented afresh each epoch) match cached ones.
dsp::Matrix as_cached(dsp::Matrix m);

class FeatureCache {
 public:
  // `revision`: the extraction code's (a test gives another to stand for older code).
  FeatureCache(std::string dir, dsp::FeatureSpec spec, int revision = dsp::kExtractionRevision);

  struct Stats {
    int64_t computed = 0, reused = 0, failed = 0;
    double seconds = 0;
  };
  struct Result {
    std::vector<std::optional<dsp::Matrix>> features;  // per sample; empty where extraction failed
    std::vector<Skipped> failed;                       // the file and why
    Stats stats;
  };
  // Called now and then from one thread with (done, total).
  using Progress = std::function<void(int64_t, int64_t)>;

  // Features of every sample, from the cache where present, extracted in
  // parallel on `threads` threads otherwise. One bad file is reported, never
  // fatal; a cache that cannot be written throws CacheError. In a job of
  // several ranks (every rank calls it) each rank reads or extracts every
  // comm.size()-th sample, writing its entries into the cache (one writer
  // per entry), and all ranks return every sample's result; `progress`
  // counts this rank's share.
  Result extract(const Corpus& corpus, int threads = 0, const Progress& progress = {},
                 const Communicator& comm = {}) const;

  std::string folder() const { return folder_; }
  std::string entry_path(const std::string& audio_path, const std::string& augmentation = "") const;

 private:
  // One sample's features, extracted afresh (an augmented copy: loaded, augmented, then extracted).
  dsp::Matrix compute(const Sample& sample, const dsp::FeatureExtractor& extractor) const;
  // One sample's features: read from its cache entry (`reused` set), or
  // computed and written there. A bad file throws; an entry that cannot be
  // written is the machine's problem, not the file's: its message goes to
  // `write_failure` and the features are still returned.
  dsp::Matrix features_of(const Sample& sample, const dsp::FeatureExtractor& extractor, char& reused,
                          std::string& write_failure) const;

  dsp::FeatureSpec spec_;
  std::string folder_;
};

}  // namespace ser::datasets
