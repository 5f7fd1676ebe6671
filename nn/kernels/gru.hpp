#pragma once
// GRU over a batch-first sequence x [N, T, F] with zero initial state, as
// PyTorch's nn.GRU (and Keras' GRU with reset_after=True): weights w_ih
// [3H, F], w_hh [3H, H], gate order r, z, n; two biases [3H], because the
// recurrent bias of n sits inside the reset gate:
//   r = sigmoid(x_t w_ir^T + b_ir + h_{t-1} w_hr^T + b_hr)
//   z = sigmoid(x_t w_iz^T + b_iz + h_{t-1} w_hz^T + b_hz)
//   n = tanh(x_t w_in^T + b_in + r * (h_{t-1} w_hn^T + b_hn))
//   h_t = (1 - z) * n + z * h_{t-1}

#include <cstdint>

namespace ser::nn {

struct GruShape {
  int64_t batch = 1, steps = 1, input = 1, hidden = 1;
};

// Writes h [N, T, H], the activated gates r, z, n [N, T, 3H] and the
// recurrent part of n before the reset, h_{t-1} w_hn^T + b_hn [N, T, H]
// (both kept for backward).
template <typename T>
void gru_forward_naive(const T* x, const T* w_ih, const T* w_hh, const T* b_ih, const T* b_hh, T* h, T* gates,
                       T* hn, const GruShape& s);

// dh [N, T, H]: the gradient of every output step. Accumulates into dx,
// dw_ih, dw_hh, db_ih, db_hh (any may be null).
template <typename T>
void gru_backward_naive(const T* x, const T* w_ih, const T* w_hh, const T* h, const T* gates, const T* hn,
                        const T* dh, T* dx, T* dw_ih, T* dw_hh, T* db_ih, T* db_hh, const GruShape& s);

// The same on our sgemm (what the ops use), organised as lstm_forward: the
// input projection of all steps in one GEMM, one recurrent GEMM per step
// over a chunk of samples, the weight and input gradients as large GEMMs.
void gru_forward(const float* x, const float* w_ih, const float* w_hh, const float* b_ih, const float* b_hh, float* h,
                 float* gates, float* hn, const GruShape& s, int threads);
void gru_backward(const float* x, const float* w_ih, const float* w_hh, const float* h, const float* gates,
                  const float* hn, const float* dh, float* dx, float* dw_ih, float* dw_hh, float* db_ih,
                  float* db_hh, const GruShape& s, int threads);

}  // namespace ser::nn
