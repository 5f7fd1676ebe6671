#include "nn/kernels/gemm.hpp"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace ser::nn {

namespace {

// Block sizes (floats). KC x NR of packed B stays in L1 while the
// micro-kernel walks the MC rows of packed A held in L2; NC x KC of packed B
// lives in L3. Chosen by measurement (bench/README.md, "Figures behind the code").
constexpr int64_t kKC = kGemmDepthBlock, kMC = 144, kNC = 3072;

struct AlignedFree {
  void operator()(float* p) const { std::free(p); }
};

// Packing buffers, one pair per thread, grown once and then reused: after
// the first product of a given size, sgemm allocates nothing.
struct Workspace {
  std::unique_ptr<float[], AlignedFree> a, b;
  size_t a_size = 0, b_size = 0;
  static float* grow(std::unique_ptr<float[], AlignedFree>& p, size_t& have, size_t need) {
    if (need > have) {
      const size_t bytes = (need * sizeof(float) + 63) / 64 * 64;
      p.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
      if (!p) throw std::bad_alloc();
      have = need;
    }
    return p.get();
  }
};
thread_local Workspace workspace;

// A(i, k) of op(A), B(k, j) of op(B).
inline float at_a(const float* A, int64_t lda, bool t, int64_t i, int64_t k) { return t ? A[k * lda + i] : A[i * lda + k]; }
inline float at_b(const float* B, int64_t ldb, bool t, int64_t k, int64_t j) { return t ? B[j * ldb + k] : B[k * ldb + j]; }

alignas(64) const float kZeros[kKC] = {};

// dst[k * stride + r] = rows[r][k] for r < 8, k < 8: one 8 x 8 transpose in
// AVX registers (unpack, shuffle, lane permute).
__attribute__((target("avx2"))) inline void transpose8(const float* const* rows, int64_t k, float* dst,
                                                      int64_t stride) {
  __m256 r[8], t[8], u[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(rows[i] + k);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    _mm256_storeu_ps(dst + (k + i) * stride, _mm256_permute2f128_ps(u[i], u[i + 4], 0x20));
    _mm256_storeu_ps(dst + (k + i + 4) * stride, _mm256_permute2f128_ps(u[i], u[i + 4], 0x31));
  }
}

// Writes R rows (each contiguous along k; nullptr: zeros) as kc groups of R
// values: dst[k * R + r] = rows[r][k]. The transpose every packing of a
// row-major operand along its rows needs.
void pack_rows_transposed(const float* const* rows, int R, int64_t kc, float* dst) {
  const float* src[32];
  for (int r = 0; r < R; ++r) src[r] = rows[r] ? rows[r] : kZeros;  // kc <= kKC
  int64_t k = 0;
  if (R % 8 == 0 && gemm_isa() != GemmIsa::portable) {
    for (; k + 8 <= kc; k += 8)
      for (int g = 0; g < R; g += 8) transpose8(src + g, k, dst + g, R);
  }
  for (; k < kc; ++k)
    for (int r = 0; r < R; ++r) dst[k * R + r] = src[r][k];
}

// Rows [i0, i0 + mc) x depth [p0, p0 + kc) of op(A) as MR-row panels,
// k-major inside a panel; rows past the end are zero.
void pack_a(bool t, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t p0, int64_t kc, int MR, float* out) {
  for (int64_t ip = 0; ip < mc; ip += MR) {
    const int64_t rows = std::min<int64_t>(MR, mc - ip);
    float* panel = out + ip * kc;
    if (t) {  // A stored [K, M]: a panel row of MR values is contiguous
      for (int64_t k = 0; k < kc; ++k) {
        const float* src = A + (p0 + k) * lda + i0 + ip;
        float* dst = panel + k * MR;
        int64_t r = 0;
        for (; r < rows; ++r) dst[r] = src[r];
        for (; r < MR; ++r) dst[r] = 0.0f;
      }
    } else {
      const float* rows_at[32];
      for (int64_t r = 0; r < MR; ++r) rows_at[r] = r < rows ? A + (i0 + ip + r) * lda + p0 : nullptr;
      pack_rows_transposed(rows_at, MR, kc, panel);
    }
  }
}

// Where the rows of stored B are: row i at rows(i). sgemm's B is strided;
// sgemm_rows is given a table of row pointers.
struct StridedRows {
  const float* B;
  int64_t ldb;
  const float* operator()(int64_t i) const { return B + i * ldb; }
};
struct PointerRows {
  const float* const* rows;
  const float* operator()(int64_t i) const { return rows[i]; }
};

// Depth [p0, p0 + kc) x columns [j0, j0 + nc) of op(B) as NR-column panels.
template <class Rows>
void pack_b(bool t, const Rows& rows, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int NR, float* out) {
  for (int64_t jp = 0; jp < nc; jp += NR) {
    const int64_t cols = std::min<int64_t>(NR, nc - jp);
    float* panel = out + jp * kc;
    if (!t) {  // B stored [K, N]: NR values of a row are contiguous
      for (int64_t k = 0; k < kc; ++k) {
        const float* src = rows(p0 + k) + j0 + jp;
        float* dst = panel + k * NR;
        int64_t c = 0;
        for (; c < cols; ++c) dst[c] = src[c];
        for (; c < NR; ++c) dst[c] = 0.0f;
      }
    } else {
      const float* cols_at[32];
      for (int64_t c = 0; c < NR; ++c) cols_at[c] = c < cols ? rows(j0 + jp + c) + p0 : nullptr;
      pack_rows_transposed(cols_at, NR, kc, panel);
    }
  }
}

// Writes an MR x NR tile held in `acc` (row-major) to C: full tiles and
// edges alike, C = alpha * acc + beta * C (beta 0: C not read).
inline void store_tile(const float* acc, int NR, float* C, int64_t ldc, float alpha, float beta, int mr, int nr) {
  for (int i = 0; i < mr; ++i) {
    float* c = C + i * ldc;
    const float* a = acc + i * NR;
    if (beta == 0.0f)
      for (int j = 0; j < nr; ++j) c[j] = alpha * a[j];
    else
      for (int j = 0; j < nr; ++j) c[j] = alpha * a[j] + beta * c[j];
  }
}

using MicroKernel = void (*)(int64_t kc, const float* Ap, const float* Bp, float* C, int64_t ldc, float alpha,
                             float beta, int mr, int nr);

// Portable 4 x 16: plain loops the compiler may vectorise for the build's target.
constexpr int kPortableMR = 4, kPortableNR = 16;
void micro_portable(int64_t kc, const float* Ap, const float* Bp, float* C, int64_t ldc, float alpha, float beta,
                    int mr, int nr) {
  float acc[kPortableMR * kPortableNR] = {};
  for (int64_t k = 0; k < kc; ++k) {
    const float* a = Ap + k * kPortableMR;
    const float* b = Bp + k * kPortableNR;
    for (int i = 0; i < kPortableMR; ++i)
      for (int j = 0; j < kPortableNR; ++j) acc[i * kPortableNR + j] += a[i] * b[j];
  }
  store_tile(acc, kPortableNR, C, ldc, alpha, beta, mr, nr);
}

// AVX2 + FMA, 6 x 16: twelve ymm accumulators, two B vectors, one broadcast.
// Every loop over the tile is unrolled: GCC keeps the accumulators in
// registers only when no runtime index reaches them. With a rolled store
// loop it mirrored all twelve to the stack on every k, which halved the
// kernel's speed on Zen 1 (one store port).
constexpr int kAvx2MR = 6, kAvx2NR = 16;
__attribute__((target("avx2,fma"))) void micro_avx2(int64_t kc, const float* Ap, const float* Bp, float* C,
                                                    int64_t ldc, float alpha, float beta, int mr, int nr) {
  __m256 c[kAvx2MR][2];
#pragma GCC unroll 6
  for (int i = 0; i < kAvx2MR; ++i) c[i][0] = c[i][1] = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_loadu_ps(Bp + k * kAvx2NR), b1 = _mm256_loadu_ps(Bp + k * kAvx2NR + 8);
    const float* a = Ap + k * kAvx2MR;
#pragma GCC unroll 6
    for (int i = 0; i < kAvx2MR; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
      c[i][0] = _mm256_fmadd_ps(ai, b0, c[i][0]);
      c[i][1] = _mm256_fmadd_ps(ai, b1, c[i][1]);
    }
  }
  if (mr == kAvx2MR && nr == kAvx2NR) {
    const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
#pragma GCC unroll 6
    for (int i = 0; i < kAvx2MR; ++i)
#pragma GCC unroll 2
      for (int h = 0; h < 2; ++h) {
        float* dst = C + i * ldc + 8 * h;
        const __m256 r = _mm256_mul_ps(va, c[i][h]);
        _mm256_storeu_ps(dst, beta == 0.0f ? r : _mm256_fmadd_ps(vb, _mm256_loadu_ps(dst), r));
      }
    return;
  }
  alignas(32) float acc[kAvx2MR * kAvx2NR];
#pragma GCC unroll 6
  for (int i = 0; i < kAvx2MR; ++i) {
    _mm256_store_ps(acc + i * kAvx2NR, c[i][0]);
    _mm256_store_ps(acc + i * kAvx2NR + 8, c[i][1]);
  }
  store_tile(acc, kAvx2NR, C, ldc, alpha, beta, mr, nr);
}

// AVX-512, 8 x 32: sixteen zmm accumulators keep both FMA pipes busy
// through their latency; B is two vectors per k, A one broadcast per row.
// b_at(k) is where the 32 values of B's row k start: a packed panel, or
// (sgemm_rows) straight in the caller's rows.
constexpr int kAvx512MR = 8, kAvx512NR = 32;
template <class BAt>
__attribute__((target("avx512f,fma"))) inline void micro_avx512_at(int64_t kc, const float* Ap, const BAt& b_at,
                                                                   float* C, int64_t ldc, float alpha, float beta,
                                                                   int mr, int nr) {
  __m512 c[kAvx512MR][2];
  for (auto& row : c) row[0] = row[1] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    const float* b = b_at(k);
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
    const float* a = Ap + k * kAvx512MR;
    for (int i = 0; i < kAvx512MR; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      c[i][0] = _mm512_fmadd_ps(ai, b0, c[i][0]);
      c[i][1] = _mm512_fmadd_ps(ai, b1, c[i][1]);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  if (mr == kAvx512MR && nr == kAvx512NR) {
    for (int i = 0; i < kAvx512MR; ++i)
      for (int h = 0; h < 2; ++h) {
        float* dst = C + i * ldc + 16 * h;
        const __m512 r = _mm512_mul_ps(va, c[i][h]);
        _mm512_storeu_ps(dst, beta == 0.0f ? r : _mm512_fmadd_ps(vb, _mm512_loadu_ps(dst), r));
      }
    return;
  }
  // Edges: masked loads and stores of the valid columns.
  for (int i = 0; i < mr; ++i)
    for (int h = 0; h < 2; ++h) {
      const int cols = std::clamp(nr - 16 * h, 0, 16);
      if (cols == 0) continue;
      const __mmask16 m = static_cast<__mmask16>((1u << cols) - 1u);
      float* dst = C + i * ldc + 16 * h;
      const __m512 r = _mm512_mul_ps(va, c[i][h]);
      _mm512_mask_storeu_ps(dst, m, beta == 0.0f ? r : _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m, dst), r));
    }
}

struct PanelAt {  // a packed B panel: row k at Bp + 32 k
  const float* Bp;
  const float* operator()(int64_t k) const { return Bp + k * kAvx512NR; }
};
struct RowsAt {  // B's own rows from depth p0 and column j0 on
  const float* const* rows;
  int64_t p0, j0;
  const float* operator()(int64_t k) const { return rows[p0 + k] + j0; }
};

__attribute__((target("avx512f,fma"))) void micro_avx512(int64_t kc, const float* Ap, const float* Bp, float* C,
                                                         int64_t ldc, float alpha, float beta, int mr, int nr) {
  micro_avx512_at(kc, Ap, PanelAt{Bp}, C, ldc, alpha, beta, mr, nr);
}

// A few rows times a transposed B (batch-1 inference: x w^T): dot products
// straight from both operands. Packing would copy (and transpose) all of w
// for one row of output.
__attribute__((target("avx512f,fma"))) void gemm_few_rows_nt_avx512(int64_t M, int64_t N, int64_t K, float alpha,
                                                                    const float* A, int64_t lda, const float* B,
                                                                    int64_t ldb, float beta, float* C, int64_t ldc) {
  const int64_t K16 = K / 16 * 16;
  const __mmask16 tail = static_cast<__mmask16>((1u << (K - K16)) - 1u);
  alignas(64) float lanes[16];
  for (int64_t m = 0; m < M; ++m) {
    const float* a = A + m * lda;
    for (int64_t n = 0; n < N; ++n) {
      const float* b = B + n * ldb;
      __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
      int64_t k = 0;
      for (; k + 32 <= K16; k += 32) {
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + k), _mm512_loadu_ps(b + k), acc0);
        acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + k + 16), _mm512_loadu_ps(b + k + 16), acc1);
      }
      for (; k < K16; k += 16) acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + k), _mm512_loadu_ps(b + k), acc0);
      if (tail)
        acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, a + K16), _mm512_maskz_loadu_ps(tail, b + K16), acc1);
      _mm512_store_ps(lanes, _mm512_add_ps(acc0, acc1));
      float sum = 0.0f;
      for (float v : lanes) sum += v;
      float& dst = C[m * ldc + n];
      dst = beta == 0.0f ? alpha * sum : alpha * sum + beta * dst;
    }
  }
}

// The same dot products in AVX2 registers: four accumulators of eight
// lanes (memory, not the FMAs, sets the pace), the tail masked.
__attribute__((target("avx2,fma"))) void gemm_few_rows_nt_avx2(int64_t M, int64_t N, int64_t K, float alpha,
                                                               const float* A, int64_t lda, const float* B,
                                                               int64_t ldb, float beta, float* C, int64_t ldc) {
  const int64_t K8 = K / 8 * 8;
  alignas(32) int32_t mask_bits[8];
  for (int i = 0; i < 8; ++i) mask_bits[i] = i < K - K8 ? -1 : 0;
  const __m256i tail = _mm256_load_si256(reinterpret_cast<const __m256i*>(mask_bits));
  alignas(32) float lanes[8];
  for (int64_t m = 0; m < M; ++m) {
    const float* a = A + m * lda;
    for (int64_t n = 0; n < N; ++n) {
      const float* b = B + n * ldb;
      __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps(), acc2 = _mm256_setzero_ps(),
             acc3 = _mm256_setzero_ps();
      int64_t k = 0;
      for (; k + 32 <= K8; k += 32) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + k), _mm256_loadu_ps(b + k), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + k + 8), _mm256_loadu_ps(b + k + 8), acc1);
        acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + k + 16), _mm256_loadu_ps(b + k + 16), acc2);
        acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + k + 24), _mm256_loadu_ps(b + k + 24), acc3);
      }
      for (; k < K8; k += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + k), _mm256_loadu_ps(b + k), acc0);
      if (K8 < K)
        acc1 = _mm256_fmadd_ps(_mm256_maskload_ps(a + K8, tail), _mm256_maskload_ps(b + K8, tail), acc1);
      _mm256_store_ps(lanes, _mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
      float sum = 0.0f;
      for (float v : lanes) sum += v;
      float& dst = C[m * ldc + n];
      dst = beta == 0.0f ? alpha * sum : alpha * sum + beta * dst;
    }
  }
}

struct Kernel {
  MicroKernel run;
  int MR, NR;
};

Kernel kernel_for(GemmIsa isa) {
  switch (isa) {
    case GemmIsa::avx512:
      return {micro_avx512, kAvx512MR, kAvx512NR};
    case GemmIsa::avx2:
      return {micro_avx2, kAvx2MR, kAvx2NR};
    default:
      return {micro_portable, kPortableMR, kPortableNR};
  }
}

bool supported(GemmIsa isa) {
  __builtin_cpu_init();
  if (isa == GemmIsa::avx512) return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
  if (isa == GemmIsa::avx2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return true;
}

std::atomic<GemmIsa>& current_isa() {
  static std::atomic<GemmIsa> isa{gemm_best_isa()};
  return isa;
}

// Rows of A (columns of B) rounded up to whole panels.
int64_t padded_rows(int64_t M, int R) { return (M + R - 1) / R * R; }

// Operands packed once for many products (sgemm_pack_a, sgemm_pack_b):
// panel by panel, each K x MR (K x NR) values, its depth blocks in order,
// so a panel's depth block pc starts at panel + pc * MR (NR).
struct Prepacked {
  const float* a = nullptr;
  const float* b = nullptr;
};

// Panels of one operand for depth block pc from row (column) i0 on; the
// panel holding row i0 + i (i a multiple of MR or NR) is at at(i).
struct Panels {
  const float* base;
  int64_t stride;
  const float* at(int64_t i) const { return base + i * stride; }
};
Panels a_panels(const float* packed_a, int64_t K, int MR, bool ta, const float* A, int64_t lda, int64_t ic,
                int64_t mc, int64_t pc, int64_t kc, float* abuf) {
  if (packed_a) return {packed_a + ic * K + pc * MR, K};
  pack_a(ta, A, lda, ic, mc, pc, kc, MR, abuf);
  return {abuf, kc};
}
template <class Rows>
Panels b_panels(const float* packed_b, int64_t K, int NR, bool tb, const Rows& B, int64_t jc, int64_t nc,
                int64_t pc, int64_t kc, float* bbuf) {
  if (packed_b) return {packed_b + jc * K + pc * NR, K};
  pack_b(tb, B, pc, kc, jc, nc, NR, bbuf);
  return {bbuf, kc};
}

// One thread, the whole BLIS loop nest over C's block [M, N].
template <class Rows>
void gemm_single(const Kernel& kr, bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                 int64_t lda, const Rows& B, float beta, float* C, int64_t ldc, Prepacked pre = {}) {
  const int64_t MC = kMC / kr.MR * kr.MR, NC = kNC / kr.NR * kr.NR;
  Workspace& ws = workspace;
  const auto need_b = static_cast<size_t>(kKC * padded_rows(std::min(NC, N), kr.NR));
  const auto need_a = static_cast<size_t>(kKC * padded_rows(std::min(MC, M), kr.MR));
  float* bbuf = pre.b ? nullptr : Workspace::grow(ws.b, ws.b_size, need_b);
  float* abuf = pre.a ? nullptr : Workspace::grow(ws.a, ws.a_size, need_a);
  for (int64_t jc = 0; jc < N; jc += NC) {
    const int64_t nc = std::min(NC, N - jc);
    for (int64_t pc = 0; pc < K; pc += kKC) {
      const int64_t kc = std::min(kKC, K - pc);
      const float beta_here = pc == 0 ? beta : 1.0f;
      const Panels bp = b_panels(pre.b, K, kr.NR, tb, B, jc, nc, pc, kc, bbuf);
      for (int64_t ic = 0; ic < M; ic += MC) {
        const int64_t mc = std::min(MC, M - ic);
        const Panels ap = a_panels(pre.a, K, kr.MR, ta, A, lda, ic, mc, pc, kc, abuf);
        for (int64_t jr = 0; jr < nc; jr += kr.NR)
          for (int64_t ir = 0; ir < mc; ir += kr.MR)
            kr.run(kc, ap.at(ir), bp.at(jr), C + (ic + ir) * ldc + jc + jr, ldc, alpha, beta_here,
                   static_cast<int>(std::min<int64_t>(kr.MR, mc - ir)),
                   static_cast<int>(std::min<int64_t>(kr.NR, nc - jr)));
      }
    }
  }
}

// One or two rows times a transposed B: sgemm takes dot products straight
// from both operands (gemm_few_rows_nt_*) and packs nothing.
bool few_rows_in_place(bool ta, bool tb, int64_t M) { return M <= 2 && !ta && tb && gemm_isa() != GemmIsa::portable; }
void gemm_few_rows_nt(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda, const float* B,
                      int64_t ldb, float beta, float* C, int64_t ldc) {
  if (gemm_isa() == GemmIsa::avx512)
    gemm_few_rows_nt_avx512(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  else
    gemm_few_rows_nt_avx2(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

// C = beta * C (K = 0 or alpha = 0: no products to add).
void scale_c(int64_t M, int64_t N, float beta, float* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
}

// sgemm_rows on AVX-512 with B by its rows: whole 32-column tiles read B's
// rows where they are, with no packing (a 1-D convolution's input rows sit in
// L1); the last, narrower tile is packed with zeros so that no row is read
// past its end. Depth blocks as sgemm's, so the bits are sgemm's.
__attribute__((target("avx512f,fma"))) void gemm_rows_avx512(int64_t M, int64_t N, int64_t K, float alpha,
                                                             const float* A, int64_t lda, const float* const* rows,
                                                             float beta, float* C, int64_t ldc,
                                                             const float* packed_a) {
  constexpr int MR = kAvx512MR, NR = kAvx512NR;
  const int64_t MC = kMC / MR * MR;
  Workspace& ws = workspace;
  float* edge = Workspace::grow(ws.b, ws.b_size, static_cast<size_t>(kKC * NR));
  float* abuf = Workspace::grow(ws.a, ws.a_size, static_cast<size_t>(kKC * ((std::min(MC, M) + MR - 1) / MR * MR)));
  for (int64_t pc = 0; pc < K; pc += kKC) {
    const int64_t kc = std::min(kKC, K - pc);
    const float beta_here = pc == 0 ? beta : 1.0f;
    for (int64_t ic = 0; ic < M; ic += MC) {
      const int64_t mc = std::min(MC, M - ic);
      const Panels ap = a_panels(packed_a, K, MR, false, A, lda, ic, mc, pc, kc, abuf);
      for (int64_t jr = 0; jr < N; jr += NR) {
        const int nr = static_cast<int>(std::min<int64_t>(NR, N - jr));
        if (nr < NR) pack_b(false, PointerRows{rows}, pc, kc, jr, nr, NR, edge);
        for (int64_t ir = 0; ir < mc; ir += MR) {
          const int mr = static_cast<int>(std::min<int64_t>(MR, mc - ir));
          float* c = C + (ic + ir) * ldc + jr;
          if (nr == NR)
            micro_avx512_at(kc, ap.at(ir), RowsAt{rows, pc, jr}, c, ldc, alpha, beta_here, mr, nr);
          else
            micro_avx512_at(kc, ap.at(ir), PanelAt{edge}, c, ldc, alpha, beta_here, mr, nr);
        }
      }
    }
  }
}

}  // namespace

GemmIsa gemm_best_isa() {
  if (supported(GemmIsa::avx512)) return GemmIsa::avx512;
  if (supported(GemmIsa::avx2)) return GemmIsa::avx2;
  return GemmIsa::portable;
}

GemmIsa gemm_isa() { return current_isa().load(std::memory_order_relaxed); }

void set_gemm_isa(GemmIsa isa) { current_isa().store(supported(isa) ? isa : gemm_best_isa()); }

namespace {
std::atomic<double>& split_flops() {
  static std::atomic<double> flops{kGemmSplitFlops};
  return flops;
}
}  // namespace

double gemm_split_flops() { return split_flops().load(std::memory_order_relaxed); }
void set_gemm_split_flops(double flops) { split_flops().store(flops); }

const char* gemm_isa_name(GemmIsa isa) {
  return isa == GemmIsa::avx512 ? "avx512" : isa == GemmIsa::avx2 ? "avx2" : "portable";
}

namespace {
// One or two rows (A not transposed, B transposed) read all of B once, so
// the product runs at memory speed: from 1 MB of B on (the TESS CNN's first
// dense layer at batch 1) both cores' bandwidth pays for the fork. Each
// output is still one thread's dot product in one order.
void few_rows_product(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda, const float* B,
                      int64_t ldb, float beta, float* C, int64_t ldc, int threads) {
  const bool split = threads > 1 && !omp_in_parallel() && N * K >= (1 << 18);
  if (!split) {
    gemm_few_rows_nt(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int64_t t = omp_get_thread_num(), T = omp_get_num_threads();
    const int64_t lo = N * t / T, hi = N * (t + 1) / T;
    if (hi > lo) gemm_few_rows_nt(M, hi - lo, K, alpha, A, lda, B + lo * ldb, ldb, beta, C + lo, ldc);
  }
}

// How many threads a product of M x N x K takes: threads pay from about
// 1 MFLOP on; below that the fork costs more than it saves (bench
// gemm_threads; figures in bench/README.md, "Figures behind the code"), and
// never more threads than whole panels of the side they split.
int product_threads(int threads, int64_t M, int64_t N, int64_t K, int64_t units) {
  const double flops = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  if (omp_in_parallel() || flops < gemm_split_flops()) return 1;
  return static_cast<int>(std::min<int64_t>(threads, units));
}
}  // namespace

void sgemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda, const float* B,
           int64_t ldb, float beta, float* C, int64_t ldc, int threads) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  if (few_rows_in_place(ta, tb, M)) {
    few_rows_product(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, threads);
    return;
  }
  // Split the longer side of C into whole panels, one share per thread; each
  // element is still summed by one thread in the same order.
  const Kernel kr = kernel_for(gemm_isa());
  const bool by_cols = N / kr.NR >= M / kr.MR;
  const int64_t unit = by_cols ? kr.NR : kr.MR, units = ((by_cols ? N : M) + unit - 1) / unit;
  threads = product_threads(threads, M, N, K, units);
  auto run = [&](int64_t m, int64_t n, const float* a, const float* b, float* c) {
    gemm_single(kr, ta, tb, m, n, K, alpha, a, lda, StridedRows{b, ldb}, beta, c, ldc);
  };
  if (threads <= 1) {
    run(M, N, A, B, C);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), T = omp_get_num_threads();
    const int64_t u0 = units * t / T, u1 = units * (t + 1) / T;
    const int64_t lo = u0 * unit, hi = std::min(u1 * unit, by_cols ? N : M);
    if (hi > lo) {
      if (by_cols) {
        run(M, hi - lo, A, tb ? B + lo * ldb : B + lo, C + lo);
      } else {
        run(hi - lo, N, ta ? A + lo : A + lo * lda, B, C + lo * ldc);
      }
    }
  }
}

void sgemm_rows(bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                const float* const* b_rows, float beta, float* C, int64_t ldc, const float* packed_a) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  if (!trans_b && gemm_isa() == GemmIsa::avx512) {
    gemm_rows_avx512(M, N, K, alpha, A, lda, b_rows, beta, C, ldc, packed_a);
    return;
  }
  gemm_single(kernel_for(gemm_isa()), false, trans_b, M, N, K, alpha, A, lda, PointerRows{b_rows}, beta, C, ldc,
              {.a = packed_a});
}

int64_t sgemm_packed_a_size(int64_t M, int64_t K) { return padded_rows(M, kernel_for(gemm_isa()).MR) * K; }

void sgemm_pack_a(int64_t M, int64_t K, const float* A, int64_t lda, float* packed) {
  const int MR = kernel_for(gemm_isa()).MR;
  for (int64_t ip = 0; ip < M; ip += MR)
    for (int64_t pc = 0; pc < K; pc += kKC)
      pack_a(false, A, lda, ip, std::min<int64_t>(MR, M - ip), pc, std::min(kKC, K - pc), MR, packed + ip * K + pc * MR);
}

int sgemm_panel_rows() { return kernel_for(gemm_isa()).MR; }

std::pair<int64_t, int64_t> sgemm_panel_group(int64_t M, int64_t g, int64_t G) {
  const int64_t MR = sgemm_panel_rows(), panels = (M + MR - 1) / MR;
  return {panels * g / G * MR, std::min(M, panels * (g + 1) / G * MR)};
}

int64_t sgemm_packed_b_size(int64_t K, int64_t N) { return padded_rows(N, kernel_for(gemm_isa()).NR) * K; }

void sgemm_pack_b(bool tb, int64_t K, int64_t N, const float* B, int64_t ldb, float* packed) {
  const int NR = kernel_for(gemm_isa()).NR;
  for (int64_t jp = 0; jp < N; jp += NR)
    for (int64_t pc = 0; pc < K; pc += kKC)
      pack_b(tb, StridedRows{B, ldb}, pc, std::min(kKC, K - pc), jp, std::min<int64_t>(NR, N - jp), NR,
             packed + jp * K + pc * NR);
}

void sgemm_prepacked_b(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                       const float* B, int64_t ldb, const float* packed_b, float beta, float* C, int64_t ldc) {
  if (!packed_b || M <= 0 || N <= 0 || K <= 0 || alpha == 0.0f || few_rows_in_place(ta, tb, M)) {
    sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, 1);  // nothing packed, or sgemm would pack no B
    return;
  }
  gemm_single(kernel_for(gemm_isa()), ta, tb, M, N, K, alpha, A, lda, StridedRows{B, ldb}, beta, C, ldc,
              {.b = packed_b});
}

int sgemm_panel_cols() { return kernel_for(gemm_isa()).NR; }

void sgemm_packed(int64_t M, int64_t N, int64_t K, const float* packed_a, const float* packed_b, float beta, float* C,
                  int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  gemm_single(kernel_for(gemm_isa()), false, false, M, N, K, 1.0f, nullptr, 0, StridedRows{nullptr, 0}, beta, C, ldc,
              {.a = packed_a, .b = packed_b});
}

void sgemm_naive(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                 const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double acc = 0;
      for (int64_t k = 0; k < K; ++k) acc += static_cast<double>(at_a(A, lda, ta, i, k)) * at_b(B, ldb, tb, k, j);
      const float prev = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
      C[i * ldc + j] = static_cast<float>(alpha * acc) + prev;
    }
}

}  // namespace ser::nn
