// ser report end to end on TESS: three small runs are trained, reported alone
// and side by side; the notebook must pass nbformat's validation and the HTML
// must hold each expected figure as an embedded PNG under its heading.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/text.hpp"
#include "experiments/arg_parser.hpp"
#include "experiments/config.hpp"
#include "experiments/report_command.hpp"
#include "experiments/runner.hpp"
#include "notebooks_export/nbconvert.hpp"
#include "support/main_requiring.hpp"
#include "support/paths.hpp"
#include "support/tess_mlp.hpp"

using namespace ser::experiments;
namespace fs = std::filesystem;

namespace {

std::string read(const fs::path& p) { return ser::read_file(p.string()); }

const std::string kConfig = ser::test::tess_mlp_yaml({.name = "tess_report", .n_mfcc = 20, .hidden = 32});

const std::vector<std::string> kLabels = {"angry", "disgust", "fear", "happy", "neutral", "ps", "sad"};

// One temporary folder with three runs that differ in their hidden layer's
// width (the features are extracted once: the sanitizer build is slow at
// that), trained once for every test case.
struct Runs {
  fs::path dir;
  std::vector<std::string> runs;
  Runs() {
    dir = fs::temp_directory_path() / ("ser_test_report_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "small.yaml") << kConfig;
    for (const char* units : {"16", "32", "64"}) {
      const ExperimentConfig c = load_config((dir / "small.yaml").string(),
                                             {std::string("model.layers.0.units=") + units}, ser::test::data_dir());
      std::ostringstream log;
      runs.push_back(train_experiment(c, (dir / ("run_" + std::string(units))).string(), log, (dir / "cache").string())
                         .run_dir);
    }
  }
  ~Runs() { fs::remove_all(dir); }
};

Runs& runs() {
  static Runs r;
  return r;
}

// The Python that runs nbconvert has nbformat: the interpreter its script names.
std::string jupyter_python() {
  std::ifstream script(ser::notebooks::find_nbconvert());
  std::string first;
  std::getline(script, first);
  return first.rfind("#!", 0) == 0 ? first.substr(2) : "";
}

int report(std::vector<std::string> args, std::string* err = nullptr) {
  std::ostringstream captured;
  auto* old = std::cerr.rdbuf(captured.rdbuf());
  int status = 0;
  try {
    status = report_command(args);
  } catch (...) {
    std::cerr.rdbuf(old);
    throw;
  }
  std::cerr.rdbuf(old);
  if (err) *err = captured.str();
  return status;
}

// The HTML between a heading holding `title` and the next heading.
std::string section(const std::string& html, const std::string& title) {
  const size_t at = html.find(">" + title + "<");
  if (at == std::string::npos) return "";
  size_t end = html.find("<h", html.find("</h", at) + 3);
  return html.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

const std::string kPng = "src=\"data:image/png;base64,iVBORw0KGgo";  // a PNG's signature, base64-encoded

void validate_notebook(const fs::path& notebook) {
  const std::string python = jupyter_python();
  REQUIRE_MESSAGE(!python.empty(), "no Python with nbformat: install jupyter-nbconvert (scripts/setup.sh)");
  const std::string cmd = python + " -c \"import nbformat, sys; nb = nbformat.read(sys.argv[1], as_version=4); "
                                   "nbformat.validate(nb); print(len(nb.cells))\" '" + notebook.string() + "'";
  CHECK_MESSAGE(std::system(cmd.c_str()) == 0, "nbformat rejects " << notebook);
}

}  // namespace

TEST_CASE("one run: a valid notebook and an HTML report with every figure") {
  auto& r = runs();
  const fs::path out = r.dir / "report_one";
  REQUIRE_MESSAGE(!ser::notebooks::find_nbconvert().empty(), "jupyter-nbconvert missing: run scripts/setup.sh");
  REQUIRE(report({r.runs[0], "--out", out.string()}) == 0);
  validate_notebook(out / "report.ipynb");
  const std::string html = read(out / "report.html");
  REQUIRE(!html.empty());
  // Nothing failed while the notebook ran: an exception would show as an error output.
  CHECK(html.find("Traceback") == std::string::npos);
  CHECK(html.find("data-mime-type=\"application/vnd.jupyter.stderr\"") == std::string::npos);
  for (const char* figure : {"Data", "Training curves", "Confusion matrix", "F1 per class"})
    CHECK_MESSAGE(count(section(html, figure), kPng) == 1, figure);
  // TESS at random: both speakers on every side, and the data section says so.
  CHECK_MESSAGE(section(html, "Data").find("2 of 2 speakers are on more than one side") != std::string::npos,
                section(html, "Data"));
  const std::string report_table = section(html, "Classification report");
  for (const auto& label : kLabels) {
    CHECK_MESSAGE(count(section(html, "Example: " + label), kPng) == 1, label);
    CHECK_MESSAGE(report_table.find("<td>" + label + "</td>") != std::string::npos, label);
  }
  CHECK(report_table.find("<td>macro avg</td>") != std::string::npos);
  CHECK(report_table.find("<td>weighted avg</td>") != std::string::npos);
  // The helpers' source is left out of the HTML; their notebook cell keeps it.
  CHECK(html.find("def plot_confusion") == std::string::npos);
  CHECK(read(out / "report.ipynb").find("def plot_confusion") != std::string::npos);
}

TEST_CASE("three runs side by side") {
  auto& r = runs();
  const fs::path out = r.dir / "report_three";
  REQUIRE(report({r.runs[0], r.runs[1], r.runs[2], "--out", out.string()}) == 0);
  validate_notebook(out / "report.ipynb");
  const std::string html = read(out / "report.html");
  const std::string table = section(html, "Comparison");
  for (const char* name : {"run_16", "run_32", "run_64"}) {
    CHECK_MESSAGE(table.find(std::string("<td>") + name + "</td>") != std::string::npos, name);
    CHECK_MESSAGE(html.find(std::string("Run <code>") + name + "</code>") != std::string::npos, name);
  }
  CHECK(count(section(html, "Test accuracy and macro-F1"), kPng) == 1);
  CHECK(count(section(html, "Training curves side by side"), kPng) == 1);
  CHECK(count(section(html, "F1 per class side by side"), kPng) == 1);
  CHECK(count(html, ">Confusion matrix<") == 3);
  // The three runs read the same files: the examples are prepared and shown once.
  CHECK(fs::exists(out / "examples" / "1" / "examples.json"));
  CHECK(!fs::exists(out / "examples" / "2"));
  CHECK(count(html, "The same files as run") == 2);
}

TEST_CASE("without Jupyter the notebook is written and the command says how to render it") {
  auto& r = runs();
  const fs::path out = r.dir / "report_no_jupyter";
  ::setenv("SER_NBCONVERT", "/nonexistent/jupyter-nbconvert", 1);
  std::string err;
  const int status = report({r.runs[0], "--out", out.string()}, &err);
  ::unsetenv("SER_NBCONVERT");
  CHECK(status == 0);
  CHECK(fs::exists(out / "report.ipynb"));
  CHECK(!fs::exists(out / "report.html"));
  CHECK(err.find("not an executable program") != std::string::npos);
  CHECK(err.find("render it with:\n  jupyter nbconvert --to html --execute") != std::string::npos);
  validate_notebook(out / "report.ipynb");
}

TEST_CASE("folders that are not runs are refused with the reason") {
  auto& r = runs();
  CHECK_THROWS_WITH_AS(report({r.dir.string(), "--out", (r.dir / "x").string()}),
                       doctest::Contains("neither a finished run (no metrics.json) nor a comparison"), UsageError);
  const fs::path broken = r.dir / "broken_run";
  fs::create_directories(broken);
  std::ofstream(broken / "metrics.json") << "{\"test\": {\"accuracy\": 0.5,";
  const std::string damaged = (broken / "metrics.json").string() + "' is damaged";
  CHECK_THROWS_WITH(report({broken.string(), "--out", (r.dir / "y").string(), "--no-html"}),
                    doctest::Contains(damaged.c_str()));
}

namespace {
// Processes by what /proc says of them: (pid, parent pid, command line, environment).
struct Process {
  pid_t pid = 0, parent = 0;
  std::string cmdline, environ;
};
std::vector<Process> processes() {
  std::vector<Process> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    Process p;
    p.pid = std::stoi(name);
    const std::string stat = read(e.path() / "stat");
    const size_t close = stat.rfind(')');
    if (close == std::string::npos || stat.size() < close + 4) continue;
    if (stat[close + 2] == 'Z') continue;  // a zombie has ended
    p.parent = std::atoi(stat.c_str() + stat.find(' ', close + 3) + 1);
    p.cmdline = read(e.path() / "cmdline");
    p.environ = read(e.path() / "environ");
    out.push_back(std::move(p));
  }
  return out;
}
bool alive(pid_t pid) {
  for (const auto& p : processes())
    if (p.pid == pid) return true;
  return false;
}
}  // namespace

TEST_CASE("killing ser report also ends the nbconvert it started, and nbconvert's Jupyter kernel") {
  // Found: a killed `ser report` left nbconvert (and its kernel) running.
  auto& r = runs();
  if (ser::notebooks::find_nbconvert().empty()) {
    MESSAGE("jupyter-nbconvert is not installed; skipped");
    return;
  }
  std::vector<std::string> args = {SER_BINARY, "report", r.runs[0], "--out", (r.dir / "killed").string()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t ser = ::fork();
  if (ser == 0) {
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  // Wait until nbconvert runs and has started its kernel (the kernel names nbconvert as JPY_PARENT_PID).
  pid_t nbconvert = 0, kernel = 0;
  for (int i = 0; i < 600 && !kernel; ++i) {
    for (const auto& p : processes()) {
      if (p.parent == ser && p.cmdline.find("nbconvert") != std::string::npos) nbconvert = p.pid;
      if (nbconvert && p.environ.find("JPY_PARENT_PID=" + std::to_string(nbconvert) + '\0') != std::string::npos)
        kernel = p.pid;
    }
    ::usleep(100000);
  }
  REQUIRE_MESSAGE(kernel != 0, "nbconvert or its kernel never started");
  ::kill(ser, SIGKILL);
  int status = 0;
  ::waitpid(ser, &status, 0);
  bool ended = false;
  for (int i = 0; i < 300 && !ended; ++i) {
    ended = !alive(nbconvert) && !alive(kernel);
    ::usleep(100000);
  }
  CHECK_MESSAGE(!alive(nbconvert), "nbconvert " << nbconvert << " outlived the ser report that started it");
  CHECK_MESSAGE(!alive(kernel), "the Jupyter kernel " << kernel << " outlived the ser report that started it");
  // Stopped, not merely finished: a nbconvert that ran on would have written the page.
  CHECK_FALSE(fs::exists(r.dir / "killed" / "report.html"));
}

int main(int argc, char** argv) {
  // ser report finds the runs' data through SER_DATA, as the command line does.
  ::setenv("SER_DATA", ser::test::data_dir().c_str(), 1);
  return ser::test::run_requiring(ser::test::data_dir() + "/tess", "SER_DATA", argc, argv);
}
