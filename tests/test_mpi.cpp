// ser under mpirun, with 2 ranks on this machine (Open MPI, --oversubscribe):
// sweeps, folds, feature extraction, eval and predict give one process's
// bytes; a rank that cannot read its data, or reads other data, ends the
// job with a message naming it instead of hanging.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/text.hpp"
#include "support/paths.hpp"
#include "support/tone_corpus.hpp"

namespace fs = std::filesystem;
using ser::test::Ran;

namespace {

// The shared data, read before any case points SER_DATA at its own corpus.
const std::string kSharedData = ser::test::data_dir();

// mpirun's own switches: every rank on this machine, and as root (CI's
// containers) the confirmation Open MPI asks for.
std::vector<std::string> mpirun_switches() {
  std::vector<std::string> a = {"mpirun", "--oversubscribe"};
  if (::getuid() == 0) a.push_back("--allow-run-as-root");
  return a;
}

// One program's share of the job: its rank count and environment.
std::vector<std::string> mpirun_context(int ranks) {
  std::vector<std::string> a = {"-np", std::to_string(ranks)};
  // Under the sanitizers (scripts/test.sh): Open MPI unloads its components
  // at MPI_Finalize, so the leaks it keeps by design have no module name
  // unless LeakSanitizer unwinds fully (tests/lsan_suppressions.txt).
  if (const char* asan = std::getenv("ASAN_OPTIONS"))
    a.insert(a.end(), {"-x", std::string("ASAN_OPTIONS=") + asan + ":fast_unwind_on_malloc=0"});
  return a;
}

std::vector<std::string> mpirun(int ranks) {
  std::vector<std::string> a = mpirun_switches();
  const auto context = mpirun_context(ranks);
  a.insert(a.end(), context.begin(), context.end());
  return a;
}

// `ser ARGS` on 2 ranks, each started in a working folder of its own
// (mpirun's MPMD form): a relative output path then shows which rank wrote.
Ran run_ranks_in(const fs::path& dir0, const fs::path& dir1, const std::vector<std::string>& args) {
  std::vector<std::string> all = mpirun_switches();
  for (const fs::path& dir : {dir0, dir1}) {
    fs::create_directories(dir);
    if (dir != dir0) all.push_back(":");
    const auto context = mpirun_context(1);
    all.insert(all.end(), context.begin(), context.end());
    all.insert(all.end(), {"-wdir", dir.string(), SER_BINARY});
    all.insert(all.end(), args.begin(), args.end());
  }
  return ser::test::run_program(all);
}

Ran run_ranks(int ranks, const std::vector<std::string>& args, bool separate_errors = false) {
  std::vector<std::string> all = mpirun(ranks);
  all.push_back(SER_BINARY);
  all.insert(all.end(), args.begin(), args.end());
  return ser::test::run_program(all, 0, separate_errors);
}

// `ser ARGS PLACE/one` as one process and `ser ARGS PLACE/two` on 2 ranks
// (ARGS ends with the option naming where the output goes); both must succeed.
std::pair<Ran, Ran> one_and_two(std::vector<std::string> args, const fs::path& place, const std::string& suffix = "") {
  auto one = args, two = args;
  one.push_back((place / ("one" + suffix)).string());
  two.push_back((place / ("two" + suffix)).string());
  std::pair<Ran, Ran> r{ser::test::run_ser(one), run_ranks(2, two)};
  REQUIRE_MESSAGE(r.first.status == 0, r.first.output);
  REQUIRE_MESSAGE(r.second.status == 0, r.second.output);
  return r;
}

// A tone corpus as SER_DATA/folders, and a config that finds it there.
struct Job {
  fs::path dir, data, config;
  explicit Job(const std::string& name, const std::string& yaml_extra = "")
      : dir(ser::test::fresh_dir(name)), data(dir / "data"), config(dir / "tones.yaml") {
    ser::test::make_tone_corpus(data / "folders", 3, 6);
    std::string yaml = ser::test::tone_config(data / "folders", "tones", 3);
    const std::string root_line = "  root: " + (data / "folders").string() + "\n";
    yaml.erase(yaml.find(root_line), root_line.size());  // the corpus comes from SER_DATA
    std::ofstream(config) << yaml << yaml_extra;
    ::setenv("SER_DATA", data.c_str(), 1);
  }
  ~Job() { fs::remove_all(dir); }
  std::string path(const std::string& name) const { return (dir / name).string(); }
};

std::string bytes_of(const fs::path& p) { return fs::exists(p) ? ser::read_file(p.string()) : "(missing " + p.string() + ")"; }

void check_same_file(const fs::path& a, const fs::path& b) {
  INFO(a.string(), " against ", b.string());
  CHECK(bytes_of(a) == bytes_of(b));
}

// Training output other than timings: metrics.json, the model, history.csv without its seconds column.
void check_same_run(const fs::path& a, const fs::path& b) {
  check_same_file(a / "metrics.json", b / "metrics.json");
  check_same_file(a / "model.sermodel", b / "model.sermodel");
  auto without_seconds = [](const fs::path& p) {
    std::istringstream in(bytes_of(p));
    std::string out;
    for (std::string line; std::getline(in, line);) out += line.substr(0, line.rfind(',')) + "\n";
    return out;
  };
  CHECK(without_seconds(a / "history.csv") == without_seconds(b / "history.csv"));
}

}  // namespace

TEST_CASE("a sweep on 2 ranks: every run's metrics.json is one process's, compare.csv lists them in order") {
  Job j("mpi_sweep");
  const std::vector<std::string> sweep = {"compare", j.config.string(), "--sweep", "seed=1|2|3", "--cache",
                                          j.path("cache"), "--out"};
  const Ran b = one_and_two(sweep, j.dir).second;
  for (const char* run : {"tones__seed=1", "tones__seed=2", "tones__seed=3"}) {
    check_same_file(j.dir / "one" / run / "metrics.json", j.dir / "two" / run / "metrics.json");
    CHECK(fs::exists(j.dir / "two" / (std::string(run) + ".log")));  // each run's log beside it
  }
  // Rows in the entries' order, whichever rank finished first; the seconds differ.
  const std::string csv = bytes_of(j.dir / "two" / "compare.csv");
  CHECK(csv.find("tones__seed=1,") < csv.find("tones__seed=2,"));
  CHECK(csv.find("tones__seed=2,") < csv.find("tones__seed=3,"));
  CHECK_MESSAGE(b.output.find("over seeds") != std::string::npos, b.output);
  // Both ranks took runs.
  CHECK_MESSAGE(b.output.find("(rank 0,") != std::string::npos, b.output);
  CHECK_MESSAGE(b.output.find("(rank 1,") != std::string::npos, b.output);
}

TEST_CASE("k-fold on 2 ranks: the folds are shared out and every file is one process's") {
  Job j("mpi_folds", "");
  std::string yaml = ser::read_file(j.config.string());
  yaml.replace(yaml.find("{kind: random, test: 0.25}"), 26, "{kind: kfold, folds: 3}");
  std::ofstream(j.config) << yaml;
  const Ran a = ser::test::run_ser({"train", j.config.string(), "--out", j.path("one"), "--cache", j.path("cache")});
  const Ran b = run_ranks(2, {"train", j.config.string(), "--out", j.path("two"), "--cache", j.path("cache")});
  REQUIRE_MESSAGE(a.status == 0, a.output);
  REQUIRE_MESSAGE(b.status == 0, b.output);
  check_same_file(j.dir / "one" / "metrics.json", j.dir / "two" / "metrics.json");
  for (const char* fold : {"fold_01", "fold_02", "fold_03"}) check_same_run(j.dir / "one" / fold, j.dir / "two" / fold);
}

TEST_CASE("feature extraction on 2 ranks fills the cache once, with one process's bytes") {
  Job j("mpi_cache");
  const std::vector<std::string> data = {"data", (j.data / "folders").string(), "--dataset", "folders", "--cache"};
  const Ran b = one_and_two(data, j.dir / "cache").second;
  CHECK_MESSAGE(b.output.find("54 computed, 0 from the cache, 0 failed") != std::string::npos, b.output);
  CHECK_MESSAGE(b.output.find("shared over 2 ranks") != std::string::npos, b.output);
  int entries = 0;
  const fs::path one = j.dir / "cache" / "one", two = j.dir / "cache" / "two";
  for (const auto& e : fs::recursive_directory_iterator(one)) {
    if (!e.is_regular_file()) continue;
    ++entries;
    check_same_file(e.path(), two / fs::relative(e.path(), one));
  }
  CHECK(entries == 54 + 1);  // every file, and the settings
  // A second job reads them all back; the ranks get every row (a run trains on them).
  auto again_args = data;
  again_args.push_back(two.string());
  const Ran again = run_ranks(2, again_args);
  CHECK_MESSAGE(again.output.find("0 computed, 54 from the cache") != std::string::npos, again.output);
}

TEST_CASE("eval and predict on 2 ranks give one process's output") {
  Job j("mpi_eval");
  REQUIRE(ser::test::run_ser({"train", j.config.string(), "--out", j.path("run"), "--cache", j.path("cache")}).status ==
          0);
  const Ran a = ser::test::run_ser({"eval", j.path("run"), "--part", "test", "--out", j.path("one.json")});
  const Ran b = run_ranks(2, {"eval", j.path("run"), "--part", "test", "--out", j.path("two.json")});
  REQUIRE_MESSAGE(a.status == 0, a.output);
  REQUIRE_MESSAGE(b.status == 0, b.output);
  check_same_file(j.path("one.json"), j.path("two.json"));
  // Rank 0 alone writes the metrics and the report; the other ranks write nothing.
  const Ran c = run_ranks_in(j.dir / "rank0", j.dir / "rank1",
                             {"eval", j.path("run"), "--part", "test", "--out", "three.json", "--report", "report",
                              "--no-html", "--cache", j.path("cache")});
  REQUIRE_MESSAGE(c.status == 0, c.output);
  check_same_file(j.path("one.json"), j.dir / "rank0" / "three.json");
  CHECK(fs::exists(j.dir / "rank0" / "report" / "report.ipynb"));
  CHECK(fs::is_empty(j.dir / "rank1"));
  std::vector<std::string> predict = {"predict", "--model", j.path("run"), "--json"};
  for (const char* f : {"high/s1_1.wav", "low/s2_3.wav", "mid/s3_5.wav", "missing.wav", "low/s1_2.wav"})
    predict.push_back((j.data / "folders" / f).string());
  std::vector<std::string> alone = {SER_BINARY};
  alone.insert(alone.end(), predict.begin(), predict.end());
  const Ran p1 = ser::test::run_program(alone, 0, true), p2 = run_ranks(2, predict, true);
  CHECK(p1.status == 1);  // missing.wav
  CHECK(p2.status != 0);
  // The JSON array (stdout) is the same, in the files' order; the error is named on stderr.
  CHECK(p1.output == p2.output);
  CHECK(p2.output.find("s1_1.wav") < p2.output.find("s1_2.wav"));
  CHECK_MESSAGE(p2.errors.find("missing.wav': no such file") != std::string::npos, p2.errors);
}

TEST_CASE("a rank that cannot read its data ends the job, named; ranks that read different data are refused") {
  Job j("mpi_bad_rank");
  // Rank 1 is started with a data folder that does not exist (a machine without the mount).
  std::vector<std::string> mpmd = {"mpirun", "--oversubscribe"};
  if (::getuid() == 0) mpmd.push_back("--allow-run-as-root");
  const std::vector<std::string> train = {SER_BINARY, "train", j.config.string(), "--cache", j.path("cache"), "--out"};
  auto job = [&](const std::string& second_data, const std::string& out) {
    std::vector<std::string> all = mpmd;
    for (const auto& [data, rank] : {std::pair{j.data.string(), 0}, std::pair{second_data, 1}}) {
      if (rank == 1) all.push_back(":");
      all.insert(all.end(), {"-np", "1", "-x", "SER_DATA=" + data});
      all.insert(all.end(), train.begin(), train.end());
      all.push_back(j.path(out));
    }
    return ser::test::run_program(all);
  };
  const Ran missing = job(j.path("nowhere"), "run_missing");
  CHECK(missing.status != 0);
  CHECK_MESSAGE(missing.output.find("ser train (rank 1 of 2") != std::string::npos, missing.output);
  CHECK_MESSAGE(missing.output.find("nowhere") != std::string::npos, missing.output);
  // Rank 1 sees the corpus without one file: refused before anything is trained.
  fs::create_directories(j.dir / "short");
  fs::copy(j.data / "folders", j.dir / "short" / "folders", fs::copy_options::recursive);
  fs::remove(j.dir / "short" / "folders" / "mid" / "s2_4.wav");
  const Ran different = job(j.path("short"), "run_different");
  CHECK(different.status != 0);
  CHECK_MESSAGE(different.output.find("the ranks read different data: rank 0 has 54 files") != std::string::npos,
                different.output);
  CHECK_MESSAGE(different.output.find("rank 1 has 53 files") != std::string::npos, different.output);
  CHECK_FALSE(fs::exists(j.dir / "run_different" / "metrics.json"));
}

TEST_CASE("commands that run as one process refuse mpirun, saying which share their work") {
  Job j("mpi_refuse");
  const Ran r = run_ranks(2, {"summary", j.config.string()});
  CHECK(r.status != 0);
  CHECK_MESSAGE(r.output.find("ser summary runs as one process; start it without mpirun") != std::string::npos,
                r.output);
}

namespace {
// The pid of the process of `rank` that runs with `marker` on its command line (0: none yet).
pid_t rank_pid(int rank, const std::string& marker) {
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = bytes_of(e.path() / "cmdline"), environ = bytes_of(e.path() / "environ");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(marker) == std::string::npos || cmdline.find("mpirun") != std::string::npos) continue;
    if (environ.find(std::string("OMPI_COMM_WORLD_RANK=") + std::to_string(rank) + '\0') != std::string::npos)
      return static_cast<pid_t>(std::stol(name));
  }
  return 0;
}
}  // namespace

TEST_CASE("data-parallel training on 2 ranks gives one process's bytes; too few shards are refused") {
  // With the per-epoch waveform augmentation (its rows redrawn in shares) and mixup (partners across ranks).
  Job j("mpi_train", "  shards: 2\naugmentation:\n  wave: {speed: 0.1, gain_db: 3, noise_probability: 0.3}\n"
                     "  mixup: {alpha: 0.2}\n");
  const std::vector<std::string> train = {"train", j.config.string(), "--cache", j.path("cache"), "--out"};
  one_and_two(train, j.dir);
  check_same_run(j.dir / "one", j.dir / "two");
  // Three ranks cannot share two shards: refused before training, saying what to set.
  const Ran three = run_ranks(3, {"train", j.config.string(), "--cache", j.path("cache"), "--out", j.path("three")});
  CHECK(three.status != 0);
  CHECK_MESSAGE(three.output.find("training.shards is 2, but 3 ranks each need a shard") != std::string::npos,
                three.output);
}

TEST_CASE("tess_cnn1d_mfcc, 2 epochs on 2 ranks: one process's bytes") {
  const std::string& data = kSharedData;
  if (!fs::exists(fs::path(data) / "tess")) {
    MESSAGE("SKIPPED: no tess/ in " << data << " (set SER_DATA)");
    return;
  }
  if (std::getenv("ASAN_OPTIONS")) {  // the tone cases run the same code; the Release pass runs this one
    MESSAGE("SKIPPED under the sanitizers: the Release pass checks the TESS bytes");
    return;
  }
  Job j("mpi_tess");
  ::setenv("SER_DATA", data.c_str(), 1);
  const std::vector<std::string> train = {"train", SER_CONFIG_DIR "/tess_cnn1d_mfcc.yaml", "--set", "training.epochs=2",
                                          "--set", "training.shards=4", "--cache", j.path("cache"), "--out"};
  one_and_two(train, j.dir);
  check_same_run(j.dir / "one", j.dir / "two");
}

TEST_CASE("a rank killed mid-training takes the job down, named; ser resume on 2 ranks ends with one process's bytes") {
  Job j("mpi_kill", "  shards: 2\n");
  std::string yaml = ser::read_file(j.config.string());
  yaml.replace(yaml.find("epochs: 3"), 9, "epochs: 150");
  std::ofstream(j.config) << yaml;
  const Ran whole = ser::test::run_ser({"train", j.config.string(), "--cache", j.path("cache"), "--out", j.path("whole")});
  REQUIRE_MESSAGE(whole.status == 0, whole.output);
  // The same run on 2 ranks, rank 1 killed once a few checkpoints are written.
  const std::string out = j.path("killed");
  std::vector<std::string> args = mpirun(2);
  args.insert(args.end(), {SER_BINARY, "train", j.config.string(), "--cache", j.path("cache"), "--out", out});
  const pid_t job = ::fork();
  if (job == 0) {
    const int fd = ::open(j.path("killed.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  pid_t victim = 0;
  for (int tries = 0; tries < 3000 && !victim; ++tries) {
    ::usleep(10000);
    if (fs::exists(fs::path(out) / "checkpoint.bin") && !fs::exists(fs::path(out) / "metrics.json"))
      victim = rank_pid(1, out);
  }
  REQUIRE_MESSAGE(victim > 0, "rank 1 never came to train (log: " << bytes_of(j.path("killed.log")) << ")");
  ::kill(victim, SIGKILL);
  int status = 0;
  ::waitpid(job, &status, 0);
  const std::string log = bytes_of(j.path("killed.log"));
  CHECK(!(WIFEXITED(status) && WEXITSTATUS(status) == 0));
  CHECK_MESSAGE(log.find("rank 1") != std::string::npos, log);
  CHECK_FALSE(fs::exists(fs::path(out) / "metrics.json"));  // it did not finish
  const Ran resumed = run_ranks(2, {"resume", out, "--cache", j.path("cache")});
  REQUIRE_MESSAGE(resumed.status == 0, resumed.output);
  CHECK_MESSAGE(resumed.output.find("resuming after epoch") != std::string::npos, resumed.output);
  check_same_run(j.dir / "whole", out);
}
