#include "machine.hpp"

#include <immintrin.h>
#include <omp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <stdexcept>

namespace ser::bench {
namespace {
// Twelve independent accumulators: two FMA pipes with a four-cycle latency
// need eight in flight; more leaves no doubt the loop is throughput-bound.
#if defined(__AVX512F__)
using Vec = __m512;
constexpr int kLanes = 16;
inline Vec splat(float v) { return _mm512_set1_ps(v); }
inline Vec fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
#elif defined(__AVX2__) && defined(__FMA__)
using Vec = __m256;
constexpr int kLanes = 8;
inline Vec splat(float v) { return _mm256_set1_ps(v); }
inline Vec fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
#else
#error "the FMA peak loop needs AVX2 + FMA or AVX-512 (the project builds with -march=native)"
#endif
constexpr int kAcc = 12;

float sum(Vec v) {
  float lanes[kLanes];
  std::memcpy(lanes, &v, sizeof lanes);
  float s = 0;
  for (float x : lanes) s += x;
  return s;
}

// `rounds` rounds of kAcc FMAs on one thread; returns a value the compiler must keep.
float fma_rounds(int64_t rounds, float seed) {
  Vec acc[kAcc];
  for (int i = 0; i < kAcc; ++i) acc[i] = splat(seed + static_cast<float>(i));
  const Vec a = splat(0.999999f), b = splat(1e-7f);
  for (int64_t r = 0; r < rounds; ++r)
    for (int i = 0; i < kAcc; ++i) acc[i] = fma(acc[i], a, b);
  float s = 0;
  for (int i = 0; i < kAcc; ++i) s += sum(acc[i]);
  return s;
}
}  // namespace

double peak_loop_gflops(int threads, double seconds) {
  constexpr int64_t kRounds = 1 << 20;  // ~4 ms per call at one FMA pair per cycle
  const double flops_per_call = 2.0 * kLanes * kAcc * static_cast<double>(kRounds);
  const auto t0 = std::chrono::steady_clock::now();
  int64_t calls = 0;
  double elapsed = 0;
  while (elapsed < seconds) {
#pragma omp parallel num_threads(threads) reduction(+ : calls)
    {
      const float r = fma_rounds(kRounds, static_cast<float>(omp_get_thread_num()));
      asm volatile("" : : "x"(r));  // keeps the loop
      ++calls;
    }
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  return flops_per_call * static_cast<double>(calls) / elapsed * 1e-9;
}

double fma_peak_gflops(int threads, double seconds) {
  static std::map<int, double> measured;
  auto it = measured.find(threads);
  if (it == measured.end()) {
    double best = 0;
    for (int i = 0; i < 3; ++i) best = std::max(best, peak_loop_gflops(threads, seconds / 3));
    it = measured.emplace(threads, best).first;
  }
  return it->second;
}

void reset_peak_rss() {
  if (FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", f);
    std::fclose(f);
  }
}

double peak_rss_mb() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  double kb = 0;
  while (std::fgets(line, sizeof line, f))
    if (std::strncmp(line, "VmHWM:", 6) == 0) kb = std::strtod(line + 6, nullptr);
  std::fclose(f);
  return kb / 1024.0;
}

int start_busy_loop() {
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("--contention: fork failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(0);  // the parent is already gone
    for (;;) asm volatile("" ::: "memory");  // spins; the compiler may not remove it
  }
  return pid;
}

}  // namespace ser::bench
