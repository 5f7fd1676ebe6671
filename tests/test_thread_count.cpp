// The thread count is ser's to choose step by step (threads: 0), so it must
// change no bit: training steps and predictions of every published model on
// one thread and on two. Then the choosing itself: the policy on made-up
// step timings, and the run-queue clock on a really oversubscribed machine.
#include <doctest/doctest.h>
#include <omp.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "nn/optim/optimizer.hpp"
#include "nn/sequential.hpp"
#include "nn/threads/cpu_wait.hpp"
#include "nn/threads/step_threads.hpp"
#include "nn/threads/thread_chooser.hpp"
#include "nn/train.hpp"
#include "zoo/published_models.hpp"

using namespace ser::nn;

namespace {
struct Case {
  const char* name;
  std::vector<LayerSpec> specs;
  Shape input;
  int classes;
};

Tensor random_batch(const Shape& sample, int batch, uint64_t seed) {
  Rng r(seed);
  Tensor t = Tensor::zeros(sample.prepend(batch));
  for (auto& v : t.values()) v = r.uniform(-1, 1);
  return t;
}

// Two Adam steps on a batch, then predictions at batch 1 and 3: every
// parameter and every output, as bytes.
std::vector<float> run_at(const Case& c, int threads, int batch) {
  Rng init(7), dropout(8);
  Sequential model(c.specs, c.input, init, c.name);
  Adam opt(model.parameter_tensors(), AdamOptions{});
  const Tensor x = random_batch(c.input, batch, 9);
  std::vector<int32_t> y(static_cast<size_t>(batch));
  for (int i = 0; i < batch; ++i) y[static_cast<size_t>(i)] = i % c.classes;
  for (int step = 0; step < 2; ++step) train_step(model, opt, x, y, dropout, threads);
  std::vector<float> out;
  for (const Tensor& p : model.parameter_tensors()) out.insert(out.end(), p.values().begin(), p.values().end());
  for (int b : {1, 3}) {
    const Tensor p = model.predict(random_batch(c.input, b, 10 + static_cast<uint64_t>(b)), threads);
    out.insert(out.end(), p.values().begin(), p.values().end());
  }
  return out;
}
}  // namespace

TEST_CASE("every published model trains and predicts to the same bits on one thread and on two") {
  const std::vector<Case> cases = {{"tess_cnn1d", ser::zoo::tess_cnn1d_specs(true), Shape{1, 2400}, 14},
                                   {"fer_cnn", ser::zoo::fer_cnn_specs(), Shape{1, 48, 48}, 7},
                                   {"ravdess_mel_cnn", ser::zoo::ravdess_mel_cnn_specs(), Shape{1, 128, 165}, 8},
                                   {"lstm", ser::zoo::lstm_specs(), Shape{100, 40}, 7}};
  for (const Case& c : cases) {
    // Batches of 9: an odd split, and more chunks than the large FER
    // convolution's weight-gradient minimum.
    const std::vector<float> one = run_at(c, 1, 9), two = run_at(c, 2, 9);
    REQUIRE(one.size() == two.size());
    size_t differ = 0;
    for (size_t i = 0; i < one.size(); ++i) differ += std::memcmp(&one[i], &two[i], sizeof(float)) != 0;
    size_t first = one.size();
    for (size_t i = 0; i < one.size() && first == one.size(); ++i)
      if (std::memcmp(&one[i], &two[i], sizeof(float)) != 0) first = i;
    CHECK_MESSAGE(differ == 0, std::string(c.name), ": ", differ, " of ", one.size(), " values differ, the first at ",
                  first);
  }
}

TEST_CASE("the chooser keeps every core on a quiet machine and never compares") {
  double waited = 0;
  ThreadChooser ch(2, [&] { return waited; });
  for (int i = 0; i < 1000; ++i) {
    CHECK(ch.threads() == 2);
    waited += 0.00001;  // 0.1% of a thread's time waiting
    ch.record(0.004);
  }
  CHECK(ch.comparisons() == 0);
}

TEST_CASE("on a busy machine the chooser times each count and keeps the faster, then checks again later") {
  // Made-up machine: 2 threads take 8 ms a step and wait a lot; 1 takes 5 ms.
  double waited = 0;
  ThreadChooser ch(4, [&] { return waited; });
  CHECK(ch.candidates() == std::vector<int>{4, 2, 1});
  auto step = [&](double t4, double t2, double t1) {
    const int n = ch.threads();
    const double t = n == 4 ? t4 : n == 2 ? t2 : t1;
    waited += n > 1 ? 0.3 * t * n : 0.0;
    ch.record(t);
    return n;
  };
  std::vector<int> seen;
  for (int i = 0; i < 60; ++i) seen.push_back(step(0.010, 0.008, 0.005));
  CHECK(ch.comparisons() >= 1);
  CHECK(std::find(seen.begin(), seen.end(), 2) != seen.end());  // every count was tried
  CHECK(ch.threads() == 1);
  // 1 stays chosen; comparisons come back after a doubling interval, so
  // over 20 s of steps there are only a handful.
  int at_one = 0, steps = 0;
  for (double clock = 0; clock < 20; ++steps) {
    const int n = ch.threads();
    at_one += n == 1;
    clock += n == 4 ? 0.010 : n == 2 ? 0.008 : 0.005;
    step(0.010, 0.008, 0.005);
  }
  CHECK(ch.comparisons() <= 8);
  CHECK(static_cast<double>(at_one) / steps > 0.95);
  // The other program ends: every core is faster again, and the next
  // comparison (at most max_interval seconds of steps away) finds it.
  for (int i = 0; i < 4000 && ch.threads() != 4; ++i) step(0.002, 0.003, 0.005);
  for (int i = 0; i < 20; ++i) step(0.002, 0.003, 0.005);
  CHECK(ch.threads() == 4);
}

TEST_CASE("with every core taken, the chooser does not try more threads again; once a core idles, it does") {
  // Made-up machine: 2 threads 8 ms a step (waiting), 1 thread 5 ms; the
  // machine's idle time advances only while `spare` cores are idle.
  double waited = 0, idle = 0, spare = 0;
  ThreadChooser ch(2, [&] { return waited; }, [&] { return idle; });
  int at_two = 0;
  auto run = [&](double seconds) {
    for (double clock = 0; clock < seconds;) {
      const int n = ch.threads();
      const double t = n == 2 ? 0.008 : 0.005;
      waited += n == 2 ? 0.3 * t * n : 0.0;
      idle += spare * t;
      clock += t;
      at_two += n == 2;
      ch.record(t);
    }
  };
  run(1);  // the first comparison picks 1
  CHECK(ch.threads() == 1);
  at_two = 0;
  run(20);  // no idle core: 2 threads are never timed again
  CHECK(at_two == 0);
  CHECK(ch.threads() == 1);
  spare = 1;  // the other program ends: a core idles, 2 threads get timed (and lose here, still waiting)
  run(10);
  CHECK(at_two > 0);
  CHECK(ch.threads() == 1);
}

TEST_CASE("with one core the chooser has nothing to choose") {
  double waited = 0;
  ThreadChooser ch(1, [&] { return waited; });
  CHECK(ch.candidates() == std::vector<int>{1});
  for (int i = 0; i < 100; ++i) {
    waited += 0.01;
    ch.record(0.01);
  }
  CHECK(ch.threads() == 1);
  CHECK(ch.comparisons() == 0);
}

TEST_CASE("the run-queue clock sees threads wait when the cores are oversubscribed") {
  const int cores = omp_get_max_threads();
  if (cores < 2) {
    MESSAGE("one core: nothing to oversubscribe");
    return;
  }
  CpuWaitClock clock(cores);
  if (!clock.available()) {
    MESSAGE("this kernel keeps no scheduler statistics (/proc/self/task/*/schedstat): skipped");
    return;
  }
  const double w0 = clock.waited_seconds();
  // As many busy threads of our own as cores, beside a team of `cores` busy
  // OpenMP threads: twice as many runnable threads as CPUs for 0.4 s, so the
  // team must wait for a CPU for a good part of it.
  std::atomic<bool> stop{false};
  std::vector<std::thread> others;
  for (int i = 0; i < cores; ++i)
    others.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
      }
    });
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(400);
#pragma omp parallel num_threads(cores)
  while (std::chrono::steady_clock::now() < until) {
  }
  stop = true;
  for (auto& t : others) t.join();
  const double waited = clock.waited_seconds() - w0;
  MESSAGE("team of ", cores, " waited ", waited, " s in 0.4 s beside ", cores, " busy threads");
  CHECK(waited > 0.05 * cores * 0.4);
}

TEST_CASE("StepThreads hands each step its count and leaves OpenMP's setting alone") {
  const int cores = omp_get_max_threads();
  StepThreads fixed(1);
  CHECK(!fixed.adaptive());
  CHECK(fixed.run([](int n) { return n; }) == 1);
  CHECK(fixed.run([](int) { return omp_get_max_threads(); }) == cores);  // not set behind the step's back
  StepThreads chosen(0);
  CHECK(chosen.adaptive() == (cores > 1));
  CHECK(chosen.run([](int n) { return n; }) == cores);
  CHECK(fixed.steps_at().at(1) == 2);
}
