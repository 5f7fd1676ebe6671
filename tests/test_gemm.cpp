// Our sgemm against the naive triple loop: every ISA the CPU has, all four
// transpose combinations, sizes that are not multiples of the register tile
// or the cache blocks, strided operands, alpha and beta; and the same bits
// whatever the thread count.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "common/rng.hpp"
#include "nn/kernels/gemm.hpp"

using namespace ser::nn;

namespace {
struct Case {
  int64_t M, N, K;
};

std::vector<float> random(size_t n, ser::Rng& rng) {
  std::vector<float> v(n);
  for (auto& x : v) x = static_cast<float>(rng.uniform() * 2.0 - 1.0);
  return v;
}

// Largest |ours - naive| relative to the scale of the sum, sum_k |a||b| + |beta c|.
double check_case(const Case& c, bool ta, bool tb, float alpha, float beta, int threads, ser::Rng& rng) {
  const int64_t pad = 3;  // row strides longer than the rows
  const int64_t a_rows = ta ? c.K : c.M, a_cols = ta ? c.M : c.K;
  const int64_t b_rows = tb ? c.N : c.K, b_cols = tb ? c.K : c.N;
  const int64_t lda = a_cols + pad, ldb = b_cols + pad, ldc = c.N + pad;
  const auto A = random(static_cast<size_t>(a_rows * lda), rng);
  const auto B = random(static_cast<size_t>(b_rows * ldb), rng);
  auto C = random(static_cast<size_t>(c.M * ldc), rng);
  auto expect = C;
  sgemm(ta, tb, c.M, c.N, c.K, alpha, A.data(), lda, B.data(), ldb, beta, C.data(), ldc, threads);
  sgemm_naive(ta, tb, c.M, c.N, c.K, alpha, A.data(), lda, B.data(), ldb, beta, expect.data(), ldc);
  double worst = 0;
  for (int64_t i = 0; i < c.M; ++i) {
    for (int64_t j = 0; j < c.N; ++j) {
      const double scale = std::abs(alpha) * static_cast<double>(c.K) + std::abs(beta) + 1e-30;
      worst = std::max(worst, std::abs(C[i * ldc + j] - expect[i * ldc + j]) / scale);
    }
    for (int64_t j = c.N; j < ldc; ++j) REQUIRE(C[i * ldc + j] == expect[i * ldc + j]);  // padding untouched
  }
  return worst;
}
}  // namespace

TEST_CASE("sgemm agrees with the naive kernel on every ISA, transpose, edge and stride") {
  const std::vector<Case> cases = {{1, 1, 1},    {7, 5, 3},     {8, 32, 17},   {9, 33, 257}, {6, 16, 1},
                                   {13, 47, 300}, {1, 300, 40}, {2, 37, 33}, {100, 3, 513}, {3, 100, 64}, {145, 97, 31}, {64, 3100, 20},
                                   {300, 290, 260}, {1, 300, 1000}, {2, 520, 600}};  // the last two: 1-2 rows, B >= 1 MB
  ser::Rng rng(11);
  for (GemmIsa isa : {GemmIsa::portable, GemmIsa::avx2, GemmIsa::avx512}) {
    set_gemm_isa(isa);
    if (gemm_isa() != isa) {
      MESSAGE("this CPU has no " << std::string(gemm_isa_name(isa)) << "; skipped");
      continue;
    }
    double worst = 0;
    for (const Case& c : cases)
      for (int t = 0; t < 4; ++t)
        worst = std::max(worst, check_case(c, t & 1, t & 2, t == 3 ? -0.5f : 1.0f, t == 1 ? 0.0f : 0.75f, 2, rng));
    MESSAGE(std::string(gemm_isa_name(isa)) << ": worst error " << worst << " of the K-term scale");
    CHECK(worst < 1e-6);  // float32 rounding of sums of up to 513 terms of size <= 1
  }
  set_gemm_isa(gemm_best_isa());
}

TEST_CASE("beta = 0 writes C without reading it; K = 0 scales C") {
  std::vector<float> A = {1, 2, 3, 4}, B = {1, 0, 0, 1};
  std::vector<float> C(4, std::numeric_limits<float>::quiet_NaN());
  sgemm(false, false, 2, 2, 2, 1.0f, A.data(), 2, B.data(), 2, 0.0f, C.data(), 2, 1);
  CHECK(C == std::vector<float>{1, 2, 3, 4});
  sgemm(false, false, 2, 2, 0, 1.0f, A.data(), 2, B.data(), 2, 2.0f, C.data(), 2, 1);
  CHECK(C == std::vector<float>{2, 4, 6, 8});
}

TEST_CASE("the same bits with one thread and with two") {
  ser::Rng rng(5);
  for (const Case& c : {Case{256, 256, 256}, Case{37, 1000, 129}, Case{1000, 40, 70}}) {
    const auto A = random(static_cast<size_t>(c.M * c.K), rng), B = random(static_cast<size_t>(c.K * c.N), rng);
    std::vector<float> one(static_cast<size_t>(c.M * c.N)), two(one.size());
    sgemm(false, false, c.M, c.N, c.K, 1.0f, A.data(), c.K, B.data(), c.N, 0.0f, one.data(), c.N, 1);
    sgemm(false, false, c.M, c.N, c.K, 1.0f, A.data(), c.K, B.data(), c.N, 0.0f, two.data(), c.N, 2);
    CHECK(one == two);
  }
  // One or two rows against a transposed B of 1 MB or more: the outputs are split between the threads.
  for (const Case& c : {Case{1, 300, 1000}, Case{2, 513, 777}}) {
    const auto A = random(static_cast<size_t>(c.M * c.K), rng), B = random(static_cast<size_t>(c.N * c.K), rng);
    std::vector<float> one(static_cast<size_t>(c.M * c.N)), two(one.size());
    sgemm(false, true, c.M, c.N, c.K, 1.0f, A.data(), c.K, B.data(), c.K, 0.0f, one.data(), c.N, 1);
    sgemm(false, true, c.M, c.N, c.K, 1.0f, A.data(), c.K, B.data(), c.K, 0.0f, two.data(), c.N, 2);
    CHECK(one == two);
  }
}

TEST_CASE("sgemm_rows: B through row pointers (shifted, overlapping rows) gives the strided product's bits") {
  // Rows as a 1-D convolution's im2col matrix has them: `taps` shifts of each
  // of several source rows. The source ends where the last row ends, so a
  // read past any row's end is a heap overflow the sanitizer build reports.
  ser::Rng rng(21);
  for (GemmIsa isa : {GemmIsa::portable, GemmIsa::avx2, GemmIsa::avx512}) {
    set_gemm_isa(isa);
    if (gemm_isa() != isa) continue;
    for (const Case& c : {Case{3, 5, 7}, Case{8, 32, 18}, Case{9, 33, 300}, Case{64, 78, 224}, Case{16, 786, 88},
                          Case{17, 95, 513}, Case{5, 31, 2}}) {
      for (bool tb : {false, true}) {
        const int64_t n_rows = tb ? c.N : c.K, len = tb ? c.K : c.N;  // rows of stored B
        const int64_t taps = 3, sources = (n_rows + taps - 1) / taps, ld_src = len + taps + 1;
        const auto src = random(static_cast<size_t>((sources - 1) * ld_src + (taps - 1) + len), rng);
        std::vector<const float*> rows(static_cast<size_t>(n_rows));
        std::vector<float> B(static_cast<size_t>(n_rows * len));
        for (int64_t r = 0; r < n_rows; ++r) {
          rows[static_cast<size_t>(r)] = src.data() + (r / taps) * ld_src + r % taps;
          std::copy(rows[static_cast<size_t>(r)], rows[static_cast<size_t>(r)] + len, B.begin() + r * len);
        }
        const auto A = random(static_cast<size_t>(c.M * c.K), rng);
        for (auto [alpha, beta] : {std::pair{1.0f, 0.75f}, std::pair{-0.5f, 0.0f}}) {
          const auto C0 = random(static_cast<size_t>(c.M * c.N), rng);
          auto got = C0, strided = C0;
          std::vector<float> naive = C0;
          sgemm_rows(tb, c.M, c.N, c.K, alpha, A.data(), c.K, rows.data(), beta, got.data(), c.N);
          sgemm(false, tb, c.M, c.N, c.K, alpha, A.data(), c.K, B.data(), len, beta, strided.data(), c.N, 1);
          sgemm_naive(false, tb, c.M, c.N, c.K, alpha, A.data(), c.K, B.data(), len, beta, naive.data(), c.N);
          CHECK(got == strided);
          // A packed once beforehand (a convolution's weights): the same bits.
          std::vector<float> packed(static_cast<size_t>(sgemm_packed_a_size(c.M, c.K))), from_packed = C0;
          sgemm_pack_a(c.M, c.K, A.data(), c.K, packed.data());
          sgemm_rows(tb, c.M, c.N, c.K, alpha, nullptr, c.K, rows.data(), beta, from_packed.data(), c.N, packed.data());
          CHECK(from_packed == strided);
          double worst = 0;
          for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, static_cast<double>(std::abs(got[i] - naive[i])));
          CHECK(worst < 1e-6 * static_cast<double>(c.K));
        }
      }
    }
  }
  set_gemm_isa(gemm_best_isa());
}

TEST_CASE("sgemm_prepacked_b: B packed once gives sgemm's one-thread bits, rows of one and two included") {
  // The LSTM's recurrent products (16 x 512 x 128 and 16 x 128 x 512), a
  // depth over one block, odd edges, and the one- and two-row products that
  // sgemm makes from B directly.
  ser::Rng rng(23);
  for (GemmIsa isa : {GemmIsa::portable, GemmIsa::avx2, GemmIsa::avx512}) {
    set_gemm_isa(isa);
    if (gemm_isa() != isa) continue;
    for (const Case& c : {Case{16, 512, 128}, Case{16, 128, 512}, Case{5, 37, 300}, Case{1, 512, 128},
                          Case{2, 33, 7}, Case{9, 1, 3}}) {
      for (bool ta : {false, true})
        for (bool tb : {false, true}) {
          const int64_t lda = ta ? c.M : c.K, ldb = tb ? c.K : c.N;
          const auto A = random(static_cast<size_t>((ta ? c.K : c.M) * lda), rng);
          const auto B = random(static_cast<size_t>((tb ? c.N : c.K) * ldb), rng);
          const auto C0 = random(static_cast<size_t>(c.M * c.N), rng);
          std::vector<float> packed(static_cast<size_t>(sgemm_packed_b_size(c.K, c.N)));
          sgemm_pack_b(tb, c.K, c.N, B.data(), ldb, packed.data());
          for (float beta : {0.0f, 1.0f}) {
            auto want = C0, got = C0, unpacked = C0;
            sgemm(ta, tb, c.M, c.N, c.K, 0.5f, A.data(), lda, B.data(), ldb, beta, want.data(), c.N, 1);
            sgemm_prepacked_b(ta, tb, c.M, c.N, c.K, 0.5f, A.data(), lda, B.data(), ldb, packed.data(), beta,
                              got.data(), c.N);
            sgemm_prepacked_b(ta, tb, c.M, c.N, c.K, 0.5f, A.data(), lda, B.data(), ldb, nullptr, beta,
                              unpacked.data(), c.N);
            CHECK(got == want);
            CHECK(unpacked == want);
          }
        }
    }
  }
  set_gemm_isa(gemm_best_isa());
}
