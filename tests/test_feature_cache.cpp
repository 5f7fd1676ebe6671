// The feature cache on the real TESS folder: a second run extracts nothing
// and returns identical values; a changed setting recomputes; a run killed
// mid-way (SIGKILL to `ser data --cache`) followed by a rerun gives a
// complete and correct cache; a damaged entry is recomputed.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/text.hpp"
#include "datasets/audio_corpora.hpp"
#include "datasets/feature_cache.hpp"
#include "support/main_requiring.hpp"
#include "support/paths.hpp"

using namespace ser::datasets;
namespace fs = std::filesystem;
extern char** environ;

namespace {
std::string tess() { return ser::test::data_dir() + "/tess"; }

fs::path fresh_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("ser_test_cache_" + std::to_string(::getpid())) / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

ser::dsp::FeatureSpec mfcc_spec(int n_mfcc = 40) {
  ser::dsp::FeatureSpec s;
  s.kind = ser::dsp::FeatureKind::mfcc;
  s.load.sample_rate = 22050;
  s.cepstrum.n_mfcc = n_mfcc;
  return s;
}

size_t entries(const std::string& folder) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(folder)) n += e.path().extension() == ".npy";
  return n;
}

bool same(const FeatureCache::Result& a, const FeatureCache::Result& b) {
  if (a.features.size() != b.features.size()) return false;
  for (size_t i = 0; i < a.features.size(); ++i)
    if (!a.features[i] || !b.features[i] || a.features[i]->data != b.features[i]->data ||
        a.features[i]->rows != b.features[i]->rows)
      return false;
  return true;
}
}  // namespace

TEST_CASE("second extraction reuses every entry and returns identical values; a changed setting recomputes") {
  const Corpus c = load_tess(tess());
  const fs::path dir = fresh_dir("reuse");
  const FeatureCache cache(dir.string(), mfcc_spec());
  const auto first = cache.extract(c);
  CHECK(first.stats.computed == 1399);
  CHECK(first.stats.failed == 0);
  const auto second = cache.extract(c);
  CHECK(second.stats.computed == 0);
  CHECK(second.stats.reused == 1399);
  CHECK(same(first, second));
  std::printf("feature cache: first extraction %.3f s, second %.3f s (%.0fx)\n", first.stats.seconds,
              second.stats.seconds, first.stats.seconds / second.stats.seconds);

  const FeatureCache changed(dir.string(), mfcc_spec(20));
  CHECK(changed.folder() != cache.folder());
  const auto third = changed.extract(c);
  CHECK(third.stats.computed == 1399);
  CHECK(third.features[0]->rows == 20);

  // The same settings under another revision of the extraction code share nothing with this one.
  const FeatureCache older(dir.string(), mfcc_spec(20), ser::dsp::kExtractionRevision - 1);
  CHECK(older.folder() != changed.folder());
  CHECK(older.entry_path(c.samples[5].path) != changed.entry_path(c.samples[5].path));
  CHECK(ser::read_file((fs::path(changed.folder()) / "settings.txt").string()).find(
            "extraction revision " + std::to_string(ser::dsp::kExtractionRevision)) != std::string::npos);

  // A damaged entry is recomputed, not trusted.
  const std::string victim = cache.entry_path(c.samples[5].path);
  std::ofstream(victim, std::ios::trunc) << "garbage";
  const auto fourth = cache.extract(c);
  CHECK(fourth.stats.computed == 1);
  CHECK(same(first, fourth));
  fs::remove_all(dir.parent_path());
}

TEST_CASE("a run killed during extraction, then a rerun: complete and correct") {
  const fs::path dir = fresh_dir("kill");
  const std::string ser_bin = SER_BINARY;
  const std::string cache_dir = dir.string();
  std::vector<std::string> args = {ser_bin, "data",  tess(),     "--dataset", "tess",      "--cache", cache_dir,
                                   "--sample-rate", "22050", "--n-mfcc", "40",        "--threads", "1"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  posix_spawn_file_actions_t quiet;  // the child's report and progress would only clutter the test log
  posix_spawn_file_actions_init(&quiet);
  posix_spawn_file_actions_addopen(&quiet, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&quiet, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  REQUIRE(posix_spawn(&pid, ser_bin.c_str(), &quiet, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&quiet);

  const FeatureCache cache(cache_dir, mfcc_spec());
  // Kill it once it has written some entries but long before it is done.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  size_t before = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    before = entries(cache.folder());
    if (before >= 100) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFSIGNALED(status));
  before = entries(cache.folder());
  MESSAGE("killed after " << before << " entries");
  CHECK(before >= 100);
  CHECK(before < 1399);

  const Corpus c = load_tess(tess());
  const auto rerun = cache.extract(c);
  CHECK(rerun.stats.failed == 0);
  CHECK(rerun.stats.reused == static_cast<int64_t>(before));
  CHECK(rerun.stats.computed == 1399 - static_cast<int64_t>(before));
  CHECK(entries(cache.folder()) == 1399);
  // Correct: identical to an extraction into an empty cache.
  const FeatureCache clean(fresh_dir("clean").string(), mfcc_spec());
  CHECK(same(rerun, clean.extract(c)));
  // No temporary files of the killed writer are left behind.
  size_t temporaries = 0;
  for (const auto& e : fs::directory_iterator(cache.folder()))
    temporaries += e.path().filename().string().find(".tmp.") != std::string::npos;
  CHECK(temporaries == 0);
  fs::remove_all(dir.parent_path());
}

int main(int argc, char** argv) { return ser::test::run_requiring(tess(), "SER_DATA", argc, argv); }
