// Kernel and model benchmarks of nn/ (Google Benchmark), in ser_bench.
//
//   gemm/<ours|openblas|eigen>/<M>x<N>x<K>    GFLOP/s counter from 2*M*N*K
//   layer/<model>/<index>_<layer>/<fwd|fwd_bwd>  each layer of the published models
//   train_step/<model>[/threads:N]  forward + loss + backward + Adam, items_per_second =
//                        samples/s; without /threads:N as ser trains by default
//                        (threads chosen step by step), with it on exactly N
//   infer/<model>/<batch>  batch 1, 8 and 64, as ser predicts by default
//   optim/adam/<model>   one Adam update of the model's parameters, items = parameters
//   peak/fma/threads:N   the machine's fp32 FMA peak
//
// train_step and infer items count their FLOPs (2 per multiply-add of the
// convolutions, dense layers and LSTMs: Sequential::training_macs and
// forward_macs) and report GFLOP/s, `peak` (that as a fraction of the FMA
// peak on the threads the item may use, measured before the items run) and
// `rss_MB` (the resident high-water mark while the item ran).
//
// OpenBLAS and Eigen appear here only as references.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <Eigen/Dense>
#include <string>
#include <tuple>
#include <vector>

#include "machine.hpp"
#include "model_cases.hpp"
#include "common/rng.hpp"
#include "common/thread_count.hpp"
#include "nn/kernels/conv.hpp"
#include "nn/kernels/gemm.hpp"
#include "nn/kernels/winograd1d.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/sequential.hpp"
#include "nn/threads/step_threads.hpp"
#include "nn/train.hpp"
#include "support/kernel_cases.hpp"
#include "zoo/published_models.hpp"

#ifdef SER_BENCH_OPENBLAS
#include <cblas.h>
#endif

using namespace ser::nn;

namespace {

using ser::bench::ModelCase;
using ser::bench::models;
using ser::bench::random;
using ser::bench::random_batch;

enum class Impl { ours, openblas, eigen };

void bm_gemm(benchmark::State& state, Impl impl, int64_t M, int64_t N, int64_t K, bool ta, bool tb) {
  const auto A = random(static_cast<size_t>(M * K), 1), B = random(static_cast<size_t>(K * N), 2);
  std::vector<float> C(static_cast<size_t>(M * N));
  const int64_t lda = ta ? M : K, ldb = tb ? K : N;
  for (auto _ : state) {
    switch (impl) {
      case Impl::ours:
        sgemm(ta, tb, M, N, K, 1.0f, A.data(), lda, B.data(), ldb, 0.0f, C.data(), N, omp_get_max_threads());
        break;
      case Impl::openblas:
#ifdef SER_BENCH_OPENBLAS
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, static_cast<int>(M),
                    static_cast<int>(N), static_cast<int>(K), 1.0f, A.data(), static_cast<int>(lda), B.data(),
                    static_cast<int>(ldb), 0.0f, C.data(), static_cast<int>(N));
#endif
        break;
      case Impl::eigen: {
        using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
        Eigen::Map<const RowMat> a(A.data(), ta ? K : M, ta ? M : K), b(B.data(), tb ? N : K, tb ? K : N);
        Eigen::Map<RowMat> c(C.data(), M, N);
        if (!ta && !tb) c.noalias() = a * b;
        else if (ta && !tb) c.noalias() = a.transpose() * b;
        else if (!ta && tb) c.noalias() = a * b.transpose();
        else c.noalias() = a.transpose() * b.transpose();
        break;
      }
    }
    benchmark::DoNotOptimize(C.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * static_cast<double>(M * N * K), benchmark::Counter::kIsIterationInvariantRate,
                         benchmark::Counter::kIs1000);
}

// Small products on one thread, on two whatever their size (the split
// threshold lowered to 0), and on up to two as sgemm decides ("auto", the
// threshold in force): a small layer must not get slower because threads
// are available.
void bm_gemm_threads(benchmark::State& state, int64_t M, int64_t N, int64_t K, int threads) {
  const auto A = random(static_cast<size_t>(M * K), 1), B = random(static_cast<size_t>(K * N), 2);
  std::vector<float> C(static_cast<size_t>(M * N));
  const double threshold = ser::nn::gemm_split_flops();
  if (threads > 1) ser::nn::set_gemm_split_flops(0);
  const int most = threads > 0 ? threads : omp_get_max_threads();
  for (auto _ : state) {
    sgemm(false, true, M, N, K, 1.0f, A.data(), K, B.data(), K, 0.0f, C.data(), N, most);
    benchmark::DoNotOptimize(C.data());
  }
  ser::nn::set_gemm_split_flops(threshold);
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * static_cast<double>(M * N * K), benchmark::Counter::kIsIterationInvariantRate,
                         benchmark::Counter::kIs1000);
}

void register_gemm() {
  for (auto [M, N, K] : {std::tuple<int64_t, int64_t, int64_t>{32, 14, 128}, {32, 128, 256}, {32, 256, 1664}})
    for (int t : {1, 2, 0}) {
      const std::string name = "gemm_threads/" + std::to_string(M) + "x" + std::to_string(N) + "x" +
                               std::to_string(K) + "/" + (t ? std::to_string(t) : std::string("auto"));
      benchmark::RegisterBenchmark(name.c_str(), bm_gemm_threads, M, N, K, t)->UseRealTime();
    }
  struct Shape3 {
    int64_t M, N, K;
    bool ta, tb;
    const char* what;
  };
  std::vector<Shape3> shapes;
  for (int64_t n : {64, 128, 256, 512, 1024, 2048}) shapes.push_back({n, n, n, false, false, "square"});
  // Shapes the published models produce (per sample for convolutions, im2col).
  shapes.push_back({16, 786, 88, false, false, "tess_conv2_fwd"});        // 16 x (8*11) x 786
  shapes.push_back({64, 78, 224, false, false, "tess_conv4_fwd"});
  shapes.push_back({32, 256, 1664, false, true, "tess_dense1_fwd"});     // batch 32
  shapes.push_back({64, 2116, 288, false, false, "fer_conv2_fwd"});      // 64 x (32*9) x 46*46
  shapes.push_back({64, 1024, 2048, false, true, "fer_dense1_fwd"});     // batch 64, 128*4*4 = 2048
  shapes.push_back({128, 135, 1600, false, false, "ravdess_conv3_fwd"});  // 128 x (64*25) x 9*15? (5x5, same)
  shapes.push_back({64, 288, 1936, false, true, "fer_conv2_dw"});         // dy col^T per sample
  shapes.push_back({288, 1936, 64, true, false, "fer_conv2_dx"});         // w^T dy per sample
  shapes.push_back({16, 88, 786, false, true, "tess_conv2_dw"});
  shapes.push_back({32, 512, 128, false, true, "lstm_step"});            // h w_hh^T, batch 32
  shapes.push_back({3200, 512, 40, false, true, "lstm_input"});          // all steps' x w_ih^T
  for (const auto& s : shapes) {
    const std::string dims = std::to_string(s.M) + "x" + std::to_string(s.N) + "x" + std::to_string(s.K);
    const std::string suffix = std::string("/") + s.what + "/" + dims;
    benchmark::RegisterBenchmark(("gemm/ours" + suffix).c_str(), bm_gemm, Impl::ours, s.M, s.N, s.K, s.ta, s.tb)
        ->UseRealTime();
#ifdef SER_BENCH_OPENBLAS
    benchmark::RegisterBenchmark(("gemm/openblas" + suffix).c_str(), bm_gemm, Impl::openblas, s.M, s.N, s.K, s.ta, s.tb)
        ->UseRealTime();
#endif
    if (s.M <= 1024)
      benchmark::RegisterBenchmark(("gemm/eigen" + suffix).c_str(), bm_gemm, Impl::eigen, s.M, s.N, s.K, s.ta, s.tb)
          ->UseRealTime();
  }
}

// GFLOP/s, the fraction of the FMA peak on `threads` threads, and the
// resident high-water mark since the item began (reset_peak_rss).
void flop_counters(benchmark::State& state, double flops_per_sample, int64_t samples, int threads) {
  state.counters["GFLOP/s"] = benchmark::Counter(flops_per_sample * static_cast<double>(samples) * 1e-9,
                                                 benchmark::Counter::kIsRate);
  state.counters["peak"] = benchmark::Counter(
      flops_per_sample * static_cast<double>(samples) * 1e-9 / ser::bench::fma_peak_gflops(threads),
      benchmark::Counter::kIsRate);
  state.counters["rss_MB"] = ser::bench::peak_rss_mb();
}

// The thread count of the average step.
double mean_threads(const StepThreads& steps) {
  double steps_total = 0, weighted = 0;
  for (size_t n = 0; n < steps.steps_at().size(); ++n) {
    steps_total += static_cast<double>(steps.steps_at()[n]);
    weighted += static_cast<double>(n * steps.steps_at()[n]);
  }
  return steps_total > 0 ? weighted / steps_total : 0;
}


// threads = 0: as ser trains by default (StepThreads picks each step's count).
void bm_train_step(benchmark::State& state, const ModelCase& m, int threads) {
  ser::bench::reset_peak_rss();
  ser::Rng init(1), dropout(2);
  Sequential model(m.specs, m.input, init, m.name);
  Adam opt(model.parameter_tensors(), AdamOptions{});
  const Tensor x = random_batch(m.input, m.batch, 3);
  const std::vector<int32_t> y = ser::bench::cycling_targets(m.batch, m.classes);
  StepThreads steps(threads);
  for (auto _ : state) benchmark::DoNotOptimize(steps.run([&](int n) { return train_step(model, opt, x, y, dropout, n).loss; }));
  state.SetItemsProcessed(state.iterations() * m.batch);
  state.counters["threads"] = mean_threads(steps);
  flop_counters(state, 2.0 * static_cast<double>(model.training_macs()), state.iterations() * m.batch,
                ser::thread_count(threads));
}

// The same with the 1-D convolutions on the implicit path instead of
// Winograd's (nn/kernels/winograd1d.hpp), to time what that path gains in a
// whole step beside it.
void bm_train_step_implicit_conv1d(benchmark::State& state, const ModelCase& m) {
  set_winograd1d_enabled(false);
  bm_train_step(state, m, 0);
  set_winograd1d_enabled(true);
}

void bm_infer(benchmark::State& state, const ModelCase& m) {
  ser::bench::reset_peak_rss();
  ser::Rng init(1);
  Sequential model(m.specs, m.input, init, m.name);
  const int batch = static_cast<int>(state.range(0));
  const Tensor x = random_batch(m.input, batch, 3);
  StepThreads steps(0);
  for (auto _ : state) benchmark::DoNotOptimize(steps.run([&](int n) { return model.predict(x, n); }).data());
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["threads"] = mean_threads(steps);
  flop_counters(state, 2.0 * static_cast<double>(model.forward_macs()), state.iterations() * batch,
                omp_get_max_threads());
}

void bm_peak(benchmark::State& state, int threads) {
  double gflops = 0;
  for (auto _ : state) gflops = ser::bench::peak_loop_gflops(threads, 0.05);
  state.counters["GFLOP/s"] = gflops;
}

// The optimiser's share of a training step: one Adam update of every
// parameter (gradients from one real step), memory-bound.
void bm_adam(benchmark::State& state, const ModelCase& m) {
  ser::Rng init(1), dropout(2);
  Sequential model(m.specs, m.input, init, m.name);
  Adam opt(model.parameter_tensors(), AdamOptions{});
  const Tensor x = random_batch(m.input, m.batch, 3);
  std::vector<int32_t> y(static_cast<size_t>(m.batch), 0);
  const int threads = omp_get_max_threads();
  train_step(model, opt, x, y, dropout, threads);
  int64_t params = 0;
  for (const Tensor& p : model.parameter_tensors()) params += p.numel();
  for (auto _ : state) opt.step(threads);
  state.SetItemsProcessed(state.iterations() * params);
  state.SetBytesProcessed(state.iterations() * params * 7 * static_cast<int64_t>(sizeof(float)));  // w, g, m, v in; w, m, v out
}

// One layer of a model, forward alone and forward + backward, on the input
// the previous layers give it.
void bm_layer(benchmark::State& state, const ModelCase& m, size_t index, bool backward, int batch) {
  ser::Rng init(1), dropout(2);
  Sequential model(m.specs, m.input, init, m.name);
  const Shape in_shape = index == 0 ? m.input : model.layer_output_shapes()[index - 1];
  Tensor x = random_batch(in_shape, batch, 4);
  x.set_requires_grad(true);
  const std::vector<float> grad(static_cast<size_t>(model.layer_output_shapes()[index].numel() * batch), 1e-3f);
  ForwardContext ctx;
  ctx.training = batch > 1 || backward;  // the batch-1 items as inference runs: dropout off
  ctx.rng = &dropout;
  ctx.record = backward;
  ctx.threads = omp_get_max_threads();
  for (auto _ : state) {
    Tensor y = model.layer(index).forward(x, ctx);
    if (backward) y.backward(grad, ctx.threads);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

void register_models() {
  static const std::vector<ModelCase> cases = models();
  const int cores = omp_get_max_threads();
  for (int t = 1; t <= cores; t *= 2)
    benchmark::RegisterBenchmark(("peak/fma/threads:" + std::to_string(t)).c_str(), bm_peak, t)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  for (const auto& m : cases) {
    benchmark::RegisterBenchmark((std::string("train_step/") + m.name).c_str(), bm_train_step, m, 0)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    for (int t = 1; t <= cores; t *= 2)
      benchmark::RegisterBenchmark((std::string("train_step/") + m.name + "/threads:" + std::to_string(t)).c_str(),
                                   bm_train_step, m, t)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    if (std::string(m.name) == "kaggle_cnn1d")
      benchmark::RegisterBenchmark("train_step/kaggle_cnn1d/implicit_conv1d", bm_train_step_implicit_conv1d, m)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
  }
  for (const auto& m : cases)
    benchmark::RegisterBenchmark((std::string("optim/adam/") + m.name).c_str(), bm_adam, m)
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
  for (const auto& m : cases)
    benchmark::RegisterBenchmark((std::string("infer/") + m.name).c_str(), bm_infer, m)
        ->Arg(1)
        ->Arg(8)
        ->Arg(64)
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
  for (const auto& m : cases) {
    ser::Rng init(1);
    Sequential model(m.specs, m.input, init, m.name);
    for (size_t i = 0; i < model.size(); ++i) {
      const std::string base = std::string("layer/") + m.name + "/" + (i < 10 ? "0" : "") + std::to_string(i) + "_" +
                               model.layer_names()[i];
      for (bool bwd : {false, true})
        benchmark::RegisterBenchmark((base + (bwd ? "/fwd_bwd" : "/fwd")).c_str(), bm_layer, m, i, bwd, m.batch)
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
      // Inference of one sample, as `ser listen` and `ser faces` run it.
      benchmark::RegisterBenchmark((base + "/infer_b1").c_str(), bm_layer, m, i, false, 1)
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
    }
  }
}

// kernel/<case>: every case of the kernel table the tests check
// (tests/support/kernel_cases.hpp), its fast forward and backward on the
// machine's threads, with the case's FLOP count.
void bm_kernel(benchmark::State& state, const ser::test::KernelCase& k) {
  ser::Rng rng(3);
  ser::test::FArrays in, grads;
  for (const auto& v : ser::test::draw_inputs(k, rng)) {
    in.push_back(ser::test::narrow(v));
    grads.emplace_back(v.size(), 0.0f);
  }
  const int threads = omp_get_max_threads();
  ser::test::FVec y = k.fast_forward(in, threads), dy(y.size(), 0.5f);
  for (auto _ : state) {
    y = k.fast_forward(in, threads);
    k.fast_backward(in, y, dy, grads, threads);
    benchmark::DoNotOptimize(grads.front().data());
  }
  const double flops = (k.flops + k.backward_flops) * static_cast<double>(state.iterations());
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsRate);
  state.counters["peak"] = benchmark::Counter(flops * 1e-9 / ser::bench::fma_peak_gflops(omp_get_max_threads()),
                                              benchmark::Counter::kIsRate);
}

// kernel_naive/<case>: the same case's naive twin (double, one thread), the
// reference the fast kernel is checked against, so one run shows what the
// fast kernel gains.
void bm_kernel_naive(benchmark::State& state, const ser::test::KernelCase& k) {
  ser::Rng rng(3);
  const ser::test::DArrays in = ser::test::draw_inputs(k, rng);
  const ser::test::Vec y = k.naive_forward(in), dy(y.size(), 0.5);
  for (auto _ : state) {
    benchmark::DoNotOptimize(k.naive_forward(in).data());
    benchmark::DoNotOptimize(k.naive_backward(in, dy).front().data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter((k.flops + k.backward_flops) * 1e-9 * static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate);
}

void register_kernels() {
  static const std::vector<ser::test::KernelCase> cases = ser::test::kernel_cases();
  for (const auto& k : cases) {
    if (!k.fast_forward) continue;
    std::string name = k.name;
    std::replace(name.begin(), name.end(), ' ', '_');
    benchmark::RegisterBenchmark(("kernel/" + name).c_str(), bm_kernel, k)->UseRealTime()->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("kernel_naive/" + name).c_str(), bm_kernel_naive, k)
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
  }
}

// conv1d_layer/kaggle/<layer>/<path>: the kernel-5 Conv1D layers of the Kaggle
// recipe at its published width (configs/multi_zcr_rms_mfcc_cnn1d.yaml,
// batch 64, relu fused, fresh gradients as in training), forward and
// backward, on Winograd's 1-D path and on the implicit one, side by side in
// one process.
void bm_conv1d_layer(benchmark::State& state, ser::nn::Conv2dShape s, bool winograd) {
  ser::bench::reset_peak_rss();
  const size_t nx = static_cast<size_t>(s.batch * s.in_channels * s.in_w),
               nw = static_cast<size_t>(s.out_channels * s.in_channels * s.kernel_w),
               ny = static_cast<size_t>(s.batch * s.out_channels * s.out_w);
  const auto x = random(nx, 1), w = random(nw, 2), b = random(static_cast<size_t>(s.out_channels), 3),
             dy = random(ny, 4);
  std::vector<float> y(ny), dx(nx), dw(nw), db(static_cast<size_t>(s.out_channels));
  const int threads = omp_get_max_threads();
  set_winograd1d_enabled(winograd);
  for (auto _ : state) {
    conv2d_forward(x.data(), w.data(), b.data(), y.data(), s, true, threads);
    conv2d_backward(x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data(), s, y.data(),
                    {.dx = true, .params = true}, threads);
    benchmark::DoNotOptimize(dw.data());
  }
  set_winograd1d_enabled(true);
  flop_counters(state, 3 * 2.0 * static_cast<double>(ny) * static_cast<double>(s.in_channels * s.kernel_w),
                state.iterations(), threads);
}

void register_conv1d_layers() {
  using ser::nn::Padding;
  const std::pair<const char*, ser::nn::Conv2dShape> layers[] = {
      {"conv2_512_512_k5", ser::test::conv1d_shape(64, 512, 1188, 512, 5, 1, 1, Padding::same)},
      {"conv3_512_256_k5", ser::test::conv1d_shape(64, 512, 594, 256, 5, 1, 1, Padding::same)},
      // The 1/8-width variant's second layer, the narrowest the path takes.
      {"narrow_conv2_64_64_k5", ser::test::conv1d_shape(64, 64, 1188, 64, 5, 1, 1, Padding::same)}};
  for (const auto& [name, shape] : layers)
    for (bool winograd : {true, false})
      benchmark::RegisterBenchmark(
          (std::string("conv1d_layer/kaggle/") + name + (winograd ? "/winograd" : "/implicit")).c_str(),
          bm_conv1d_layer, shape, winograd)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
}

const bool registered = [] {
  register_gemm();
  register_conv1d_layers();
  register_models();
  register_kernels();
  return true;
}();

}  // namespace
