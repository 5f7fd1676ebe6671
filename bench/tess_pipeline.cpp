// Every file of ../shared/data/tess decoded, resampled to 22050 Hz with soxr
// HQ and turned into a 40 x frames MFCC matrix, in parallel over files. Prints
// the wall time of each of several runs and their median.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "common/data_dir.hpp"
#include "dsp/audio.hpp"
#include "dsp/mfcc.hpp"

int main(int argc, char** argv) {
  const std::string root = ser::data_dir(SER_DEFAULT_DATA_DIR) + "/tess";
  const int runs = argc > 1 ? std::atoi(argv[1]) : 5;
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root))
    if (e.is_regular_file()) files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "no files under %s (set SER_DATA)\n", root.c_str());
    return 1;
  }
  ser::dsp::LoadOptions load;
  load.sample_rate = 22050;
  ser::dsp::MfccOptions o;
  o.cepstrum.n_mfcc = 40;
  const ser::dsp::MfccExtractor extract(22050, o);  // shared by the threads
  std::vector<double> times;
  for (int run = 0; run < runs; ++run) {
    long frames = 0, failed = 0;
    const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel for schedule(dynamic, 8) reduction(+ : frames, failed)
    for (size_t i = 0; i < files.size(); ++i) {
      try {
        frames += extract(ser::dsp::load_audio(files[i], load).samples).cols;
      } catch (const std::exception&) {
        ++failed;
      }
    }
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    std::printf("run %d: %zu files (%ld failed), %ld MFCC frames, %.3f s on %d threads\n", run + 1, files.size(),
                failed, frames, times.back(), omp_get_max_threads());
  }
  std::sort(times.begin(), times.end());
  std::printf("median %.3f s\n", times[times.size() / 2]);
  return 0;
}
