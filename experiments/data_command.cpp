#include "experiments/data_command.hpp"

#include <algorithm>
#include <iostream>
#include <optional>

#include "datasets/audio_corpora.hpp"
#include "datasets/corpus_registry.hpp"
#include "datasets/feature_cache.hpp"
#include "datasets/report.hpp"
#include "datasets/split.hpp"
#include "experiments/arg_parser.hpp"
#include "experiments/class_chart.hpp"
#include "experiments/feature_options.hpp"
#include "experiments/progress.hpp"

namespace ser::experiments {

namespace {
std::string corpora_help() {
  std::string out = "Corpora (--dataset):\n";
  for (const auto& c : datasets::corpora())
    out += "  " + std::string(c.name) + std::string(10 - std::string(c.name).size(), ' ') + c.what + "\n";
  return out;
}

// --split's words, in the order of datasets::GroupBy (none: stratified at random).
constexpr const char* kSplitWords[] = {"random", "speaker", "word", "gender"};

std::string split_words(const std::string& between) {
  std::string out;
  for (const char* w : kSplitWords) out += (out.empty() ? "" : between) + w;
  return out;
}

datasets::Corpus load_corpus(const ArgParser& p, const datasets::CorpusInfo& info, const std::string& root) {
  if (info.kind == datasets::CorpusKind::image) return info.load_images(root).corpus;
  datasets::AudioCorpusOptions o;
  const int classes = p.integer("--tess-classes");
  if (classes != 7 && classes != 14) throw UsageError("--tess-classes must be 7 or 14");
  o.tess_speaker_emotion = classes == 14 && info.speaker_emotion;
  o.ravdess_song = !p.flag_set("--no-song");
  return info.load_audio(root, o);
}

std::optional<datasets::Split> split_from(const ArgParser& p, const datasets::Corpus& corpus) {
  const auto word = p.maybe("--split");
  if (!word) return std::nullopt;
  const auto it = std::find(std::begin(kSplitWords), std::end(kSplitWords), *word);
  if (it == std::end(kSplitWords)) throw UsageError("--split must be one of " + split_words(", ") + ", not '" + *word + "'");
  const auto by = static_cast<datasets::GroupBy>(it - std::begin(kSplitWords));
  datasets::Ratios r;
  r.test = p.number("--test");
  r.validation = p.number("--validation");
  r.train = 1.0 - r.test - r.validation;
  const auto seed = static_cast<uint64_t>(p.integer("--seed"));
  return by == datasets::GroupBy::none ? datasets::stratified_split(corpus, r, seed)
                                       : datasets::group_split(corpus, by, r, seed);
}

// --cache: every file's features into the cache, shared over the ranks.
void fill_cache(const ArgParser& p, const datasets::Corpus& corpus, const std::string& dir, const Communicator& comm) {
  const datasets::FeatureCache cache(dir, feature_spec_from(p));
  ProgressBar bar("features");
  const auto r = cache.extract(corpus, p.given("--threads") ? p.integer("--threads") : 0,
                               [&](int64_t done, int64_t total) { bar.update(done, total); }, comm);
  bar.finish();
  if (!comm.is_root()) return;  // rank 0 reports for the job
  std::cerr << "features: " << corpus.samples.size() << " files, " << r.stats.computed << " computed, "
            << r.stats.reused << " from the cache, " << r.stats.failed << " failed, in " << r.stats.seconds << " s ("
            << cache.folder() << ")" << (comm.distributed() ? ", shared over " + std::to_string(comm.size()) + " ranks" : "")
            << "\n";
  for (const auto& f : r.failed) std::cerr << "  failed: " << f.path << ": " << f.reason << "\n";
}
}  // namespace

int data_command(const std::vector<std::string>& args, const Communicator& comm) {
  ArgParser p("data",
              "Loads a data set folder following its corpus's naming convention and reports what it\n"
              "holds: files per class (and per speaker), durations, sample rates, and every skipped\n"
              "file with the reason. With --split, also the sizes of a seeded split, each side's\n"
              "speakers and whether any is on two sides (the split is then not speaker-independent).\n"
              "Under mpirun the ranks share the extraction of --cache (each file extracted once, by one\n"
              "rank).\n" +
                  corpora_help());
  p.positional("ROOT", "the corpus folder, e.g. ../shared/data/tess")
      .option("--dataset", "NAME", "the corpus whose naming convention the folder follows (corpora above)")
      .flag("--json", "print one JSON object instead of text")
      .option("--tess-classes", "7|14", "TESS: 7 emotions or 14 speaker x emotion classes", "14")
      .flag("--no-song", "RAVDESS: leave out the sung files")
      .option("--split", split_words("|"), "add a split: stratified random, or by speaker, word or gender")
      .option("--plot", "FILE.png", "also draw the files per class as a bar chart: per split side, per corpus, or per the corpus's own parts (FER2013's train and test)")
      .option("--test", "FRACTION", "test share of the split", "0.25")
      .option("--validation", "FRACTION", "validation share of the split", "0")
      .option("--seed", "S", "seed of the split", "42")
      .option("--cache", "DIR", "also extract features of every file into this cache (reused on the next run)")
      .option("--threads", "N", "extraction threads", "all cores");
  add_feature_options(p, "mfcc");
  if (!p.parse(args)) return 0;
  const std::string root = p.positionals()[0], name = p.text("--dataset");
  const datasets::CorpusInfo* info = nullptr;
  try {
    info = &datasets::corpus_info(name);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--dataset: ") + e.what());
  }
  const datasets::Corpus corpus = load_corpus(p, *info, root);
  const std::optional<datasets::Split> split = split_from(p, corpus);
  const datasets::Split* s = split ? &*split : nullptr;
  std::cout << (p.flag_set("--json") ? datasets::report_json(corpus, s) + "\n" : datasets::report_text(corpus, s));
  if (auto png = p.maybe("--plot")) {
    write_class_chart(*png, corpus, s);
    std::cerr << "class chart: " << *png << "\n";
  }
  if (auto dir = p.maybe("--cache")) {
    if (info->kind == datasets::CorpusKind::image)
      throw UsageError("--cache extracts audio features; " + name + " holds images");
    fill_cache(p, corpus, *dir, comm);
  }
  return 0;
}

}  // namespace ser::experiments
