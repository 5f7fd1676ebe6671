#pragma once
// Single-precision matrix multiply, row-major, BLAS semantics:
//   C[M, N] = alpha * op(A)[M, K] * op(B)[K, N] + beta * C
// op(X) is X or its transpose; lda/ldb/ldc are row strides. beta = 0 means
// C is written without being read (NaNs in it do not propagate).
//
// sgemm is ours: B and A packed into panels, a register-blocked micro-kernel
// (AVX-512 8x32, AVX2+FMA 6x16, or a portable 4x16), chosen at run time
// from the CPU's features, and OpenMP across column (or row) blocks when
// the product is large enough to pay for the threads. Every element of C
// sums its K terms in the same order whatever the thread count, so results
// do not depend on it. sgemm_naive is the reference it is tested against.

#include <cstdint>
#include <utility>

namespace ser::nn {

enum class GemmIsa { portable, avx2, avx512 };

// Depth (K) block: every element of C is C + sum over [0, 256) of the
// products, then C + sum over [256, 512), and so on; a product of K <= 256
// is one sum added to C once, which callers may rely on to add the bias
// after the product with the same bits.
inline constexpr int64_t kGemmDepthBlock = 256;

// The best the CPU supports (AVX-512F, else AVX2 with FMA, else portable).
GemmIsa gemm_best_isa();
// The ISA sgemm uses; tests and benchmarks force each one in turn. Setting
// one the CPU lacks falls back to the best it has.
GemmIsa gemm_isa();
void set_gemm_isa(GemmIsa isa);
const char* gemm_isa_name(GemmIsa isa);

// Products from this many FLOPs on are split over the threads; smaller ones
// run on one (the fork costs more than it saves; bench gemm_threads).
inline constexpr double kGemmSplitFlops = 1.5e6;
// The threshold in force: kGemmSplitFlops unless a benchmark sets another
// (0 splits every product, to time what the threshold avoids).
double gemm_split_flops();
void set_gemm_split_flops(double flops);

// `threads`: the most it may use. It uses one below gemm_split_flops() or
// inside a parallel region; one or two rows against a transposed B of 1 MB
// or more (AVX-512 and AVX2) are split by outputs, which memory speed pays for.
void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc, int threads);

// The same product with B given by its rows, which may overlap or repeat:
// row i of stored B (of op(B) = B, K rows of N values; of op(B) = B^T, N
// rows of K values) starts at b_rows[i]. A 1-D convolution's im2col matrix
// is its input's rows shifted by each tap, so the convolutions pass pointers
// into the input instead of copying it out (implicit im2col). Every element
// sums its K terms in the order sgemm's blocked kernels do; one thread (the
// convolutions split their batch over the threads).
// packed_a: A as sgemm_pack_a left it (A itself is then not read).
void sgemm_rows(bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                const float* const* b_rows, float beta, float* C, int64_t ldc, const float* packed_a = nullptr);

// A [M, K] (not transposed) packed once into the current ISA's panels, for
// many sgemm_rows calls with the same A: a convolution's weights, used by
// every band of every sample, were packed again for each.
// Rows m0 onwards of the packed A (m0 a multiple of sgemm_panel_rows()) start
// at packed + m0 * K: a product of some of A's rows passes that pointer.
int64_t sgemm_packed_a_size(int64_t M, int64_t K);
void sgemm_pack_a(int64_t M, int64_t K, const float* A, int64_t lda, float* packed);
int sgemm_panel_rows();
// Rows [m0, m1) of group g of G over M rows of a packed A: whole panels, so
// that a product of some of its rows starts at packed + m0 * K.
std::pair<int64_t, int64_t> sgemm_panel_group(int64_t M, int64_t g, int64_t G);

// op(B) [K, N] packed once into the current ISA's column panels, and
// sgemm(..., threads = 1) with it: the same bits, without packing B again
// in every call (an LSTM's recurrent weights, at every time step). B and
// ldb are still given: the products sgemm makes without packing B (one or
// two rows times a transposed B) read it directly; packed_b null: sgemm.
int64_t sgemm_packed_b_size(int64_t K, int64_t N);
void sgemm_pack_b(bool trans_b, int64_t K, int64_t N, const float* B, int64_t ldb, float* packed);
void sgemm_prepacked_b(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                       int64_t lda, const float* B, int64_t ldb, const float* packed_b, float beta, float* C,
                       int64_t ldc);

// C [M, N] = A B + beta C, both operands packed once (sgemm_pack_a,
// sgemm_pack_b, or written in their layout: panel by panel, element (k, j)
// of B's panel holding column j at j0 * K + k * NR + (j - j0)), on one
// thread: sgemm's bits. Winograd's products reuse the same transformed
// filters for every block of tiles.
int sgemm_panel_cols();
void sgemm_packed(int64_t M, int64_t N, int64_t K, const float* packed_a, const float* packed_b, float beta, float* C,
                  int64_t ldc);

// Triple loop, accumulating in double: slow and obviously right.
void sgemm_naive(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                 int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

}  // namespace ser::nn
