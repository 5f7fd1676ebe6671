#include "experiments/prepared_data.hpp"

#include "datasets/audio_corpora.hpp"
#include "datasets/augmentation.hpp"
#include "datasets/corpus_registry.hpp"
#include "datasets/feature_cache.hpp"
#include "datasets/fer2013.hpp"
#include "datasets/labels.hpp"
#include "datasets/mnist.hpp"
#include "common/text.hpp"
#include "experiments/progress.hpp"

namespace ser::experiments {

namespace {
// data.intensity, data.statement and the gender label sets, applied to the joined corpora.
datasets::Corpus keep_chosen(datasets::Corpus all, const DataConfig& d, std::ostream& log) {
  const size_t before = all.samples.size();
  if (d.intensity != IntensityFilter::all)
    all = datasets::keep_samples(all, &datasets::Sample::intensity, name_of(d.intensity, kIntensityFilters),
                                 "intensity");
  if (d.statement != StatementFilter::all)
    all = datasets::keep_samples(all, &datasets::Sample::word, name_of(d.statement, kStatementFilters), "statement");
  if (d.gender_labels())
    all = datasets::with_gender_labels(all, d.labels == LabelSet::gender ? datasets::GenderLabels::gender
                                                                          : datasets::GenderLabels::gender_emotion);
  if (all.samples.size() != before)
    log << "kept " << all.samples.size() << " of " << before << " files (data.intensity, data.statement, labels)\n";
  return all;
}
}  // namespace

datasets::Corpus load_audio_corpora(const ExperimentConfig& c, std::ostream& log) {
  std::vector<datasets::Corpus> parts;
  for (const auto& name : c.data.corpora) {
    datasets::AudioCorpusOptions o;
    o.tess_speaker_emotion = c.data.labels == LabelSet::speaker_emotion;
    o.ravdess_song = c.data.song;
    datasets::Corpus corpus = datasets::corpus_info(name).load_audio(c.data.roots.at(name), o);
    if (c.data.labels == LabelSet::common || (c.data.gender_labels() && c.data.corpora.size() > 1)) {
      auto map = datasets::default_label_map(name, c.data.calm == CalmPolicy::neutral);
      auto vocabulary = datasets::common_emotions();
      if (c.data.calm == CalmPolicy::keep) {  // the eight RAVDESS classes of the combined recipes
        map["calm"] = "calm";
        vocabulary.push_back("calm");
      }
      corpus = datasets::map_labels(corpus, map, vocabulary);
    }
    log << name << ": " << corpus.samples.size() << " files, " << corpus.skipped.size() << " skipped ("
        << c.data.roots.at(name) << ")\n";
    for (const auto& k : corpus.skipped) log << "  skipped " << k.path << ": " << k.reason << "\n";
    parts.push_back(std::move(corpus));
  }
  datasets::Corpus all = parts.size() == 1 ? parts.front() : datasets::combine(parts);
  all = keep_chosen(all, c.data, log);
  if (!c.augmentation.copies.empty()) {
    all = datasets::with_augmented_copies(all, c.augmentation.copies, c.seed);
    log << "augmentation: " << c.augmentation.copies.size() << " copies of every file, " << all.samples.size()
        << " samples\n";
  }
  return all;
}

namespace {
// The ranks of a job must read the same files: a data folder mounted
// differently on one machine would otherwise mix two data sets.
void check_same_corpus(const datasets::Corpus& corpus, const Communicator& comm) {
  if (!comm.distributed()) return;
  std::string key;
  for (const auto& s : corpus.samples) key += s.path + "\n" + s.label + "\n" + s.augmentation + "\n";
  const std::string mine = std::to_string(corpus.samples.size()) + " files (fingerprint " +
                           std::to_string(fnv1a(key)) + ")";
  const auto all = comm.all_gather(mine);
  for (size_t r = 1; r < all.size(); ++r)
    if (all[r] != all[0])
      throw std::runtime_error("the ranks read different data: rank 0 has " + all[0] + ", rank " + std::to_string(r) +
                               " has " + all[r] + "; every machine must see the same data folder (SER_DATA, data.root)");
}
}  // namespace

PreparedData prepare_audio(const datasets::Corpus& all, const ModelInput& input, const std::string& cache_dir,
                           int threads, std::ostream& log, const Communicator& comm) {
  check_same_corpus(all, comm);
  // Extract (or reuse) every feature set, then leave out the files any set failed on.
  std::vector<datasets::FeatureCache::Result> sets;
  for (const auto& spec : input.sets) {
    const datasets::FeatureCache cache(cache_dir, spec);
    ProgressBar bar(std::string("features ") + spec.kind_name());
    sets.push_back(cache.extract(all, threads, [&](int64_t done, int64_t total) { bar.update(done, total); }, comm));
    bar.finish();
    const auto& st = sets.back().stats;
    log << "features " << spec.kind_name() << ": " << st.computed << " computed, " << st.reused << " from the cache, "
        << st.failed << " failed, " << st.seconds << " s (" << cache.folder() << ")"
        << (comm.distributed() ? ", shared over " + std::to_string(comm.size()) + " ranks" : "") << "\n";
    for (const auto& f : sets.back().failed) log << "  failed " << f.path << ": " << f.reason << "\n";
  }
  PreparedData p;
  p.corpus.name = all.name;
  p.corpus.labels = all.labels;
  p.corpus.skipped = all.skipped;
  p.sample_shape = input.sample_shape();
  for (size_t i = 0; i < all.samples.size(); ++i) {
    std::vector<dsp::Matrix> mats;
    for (const auto& r : sets)
      if (r.features[i]) mats.push_back(*r.features[i]);
    if (mats.size() != sets.size()) continue;
    const std::vector<float> v = input.assemble(mats);
    p.x.insert(p.x.end(), v.begin(), v.end());
    p.y.push_back(all.label_index(all.samples[i].label));
    p.corpus.samples.push_back(all.samples[i]);
  }
  return p;
}

PreparedData prepare_images(const ExperimentConfig& c) {
  PreparedData p;
  const std::string& name = c.data.corpora.front();
  const datasets::CorpusInfo& info = datasets::corpus_info(name);
  datasets::ImageCorpus images = info.load_images(c.data.roots.at(name));
  p.corpus = std::move(images.corpus);
  p.sample_shape = nn::Shape{1, info.image_height, info.image_width};
  for (uint8_t v : images.pixels) p.x.push_back(v / 255.0f);
  for (const auto& s : p.corpus.samples) p.y.push_back(p.corpus.label_index(s.label));
  return p;
}

void scale_prepared(const ModelInput& input, PreparedData& p) {
  std::vector<std::string> speakers;
  std::vector<bool> recordings;
  if (input.scaling == Scaling::per_speaker)
    for (const auto& s : p.corpus.samples) {
      speakers.push_back(s.corpus + "/" + s.speaker);
      recordings.push_back(s.augmentation.empty());
    }
  input.scale_rows(p.x, speakers, recordings);
}

}  // namespace ser::experiments
