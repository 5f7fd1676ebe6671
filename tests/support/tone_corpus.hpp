#pragma once
// A small labelled corpus of tones made on the spot, for tests that need
// whole runs (train, resume, refusals) in a second or two without the shared
// data; and the `ser` binary run as a user runs it, output captured.

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/text.hpp"
#include "dsp/audio.hpp"

namespace ser::test {

namespace fs = std::filesystem;

// A fresh folder under the system's temporary folder, unique to this process.
inline fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("ser_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// ROOT/<label>/<speaker>_<n>.wav: three classes of tones (each its own pitch,
// with per-file detune and noise), `speakers` speakers, `files` per speaker
// and class, 0.3 s at 8 kHz: what `data.corpus: folders` reads.
inline void make_tone_corpus(const fs::path& root, int speakers = 2, int files = 6) {
  const std::vector<std::pair<std::string, double>> classes = {{"high", 1200}, {"low", 300}, {"mid", 600}};
  const int rate = 8000;
  uint32_t noise = 12345;
  for (const auto& [label, hz] : classes)
    for (int s = 1; s <= speakers; ++s)
      for (int n = 1; n <= files; ++n) {
        fs::create_directories(root / label);
        std::vector<float> y(static_cast<size_t>(rate * 3 / 10));
        const double f = hz * (1.0 + 0.01 * n + 0.03 * s);
        for (size_t i = 0; i < y.size(); ++i) {
          noise = noise * 1664525u + 1013904223u;
          y[i] = static_cast<float>(0.4 * std::sin(2 * M_PI * f * static_cast<double>(i) / rate) +
                                    0.05 * (static_cast<double>(noise >> 8) / 16777216.0 - 0.5));
        }
        std::string name = "s";
        name.append(std::to_string(s)).append("_").append(std::to_string(n)).append(".wav");
        dsp::save_wav((root / label / name).string(), y, rate);
      }
}

// A pooled-MFCC MLP on a tone corpus; `extra` is appended (more YAML keys).
inline std::string tone_config(const fs::path& root, const std::string& name = "tones", int epochs = 3) {
  return "name: " + name + "\nseed: 5\nthreads: 2\ndata:\n  corpus: folders\n  root: " + root.string() +
         "\n  split: {kind: random, test: 0.25}\nfeatures:\n  kind: mfcc\n  n_mfcc: 13\n  n_mels: 40\n"
         "  n_fft: 512\n  layout: pooled\nmodel:\n  layers:\n    - {type: dense, units: 16, activation: relu}\n"
         "    - {type: dense, units: 3}\ntraining:\n  epochs: " +
         std::to_string(epochs) + "\n  batch_size: 8\n";
}

struct Ran {
  int status = -1;     // exit status, or 128 + signal
  std::string output;  // stdout and stderr together (or stdout alone, with separate_errors)
  std::string errors;  // stderr, with separate_errors
};

// Runs the program `all[0]` (a path, or a name looked up in PATH) with the
// rest as arguments; `file_size_limit` > 0 caps the size of every file it
// writes (RLIMIT_FSIZE: a write past it fails as on a full disk).
// separate_errors: stderr apart from stdout (several processes writing both
// interleave them in one file).
inline Ran run_program(std::vector<std::string> all, long file_size_limit = 0, bool separate_errors = false) {
  const fs::path out = fs::temp_directory_path() / ("ser_run_output_" + std::to_string(::getpid()));
  const fs::path err = fs::temp_directory_path() / ("ser_run_errors_" + std::to_string(::getpid()));
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {  // only async-signal-safe calls until exec
    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(separate_errors ? ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644) : fd, 2);
    if (file_size_limit > 0) {
      const rlimit limit{static_cast<rlim_t>(file_size_limit), static_cast<rlim_t>(file_size_limit)};
      ::setrlimit(RLIMIT_FSIZE, &limit);
      ::signal(SIGXFSZ, SIG_IGN);  // a write past the limit then fails with EFBIG instead of killing
    }
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  Ran r;
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.output = read_file(out.string());
  fs::remove(out);
  if (separate_errors) {
    r.errors = read_file(err.string());
    fs::remove(err);
  }
  return r;
}

// Runs `ser` with `args`, as run_program does.
inline Ran run_ser(const std::vector<std::string>& args, long file_size_limit = 0) {
  std::vector<std::string> all = {SER_BINARY};
  all.insert(all.end(), args.begin(), args.end());
  return run_program(std::move(all), file_size_limit);
}

}  // namespace ser::test
