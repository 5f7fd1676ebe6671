#pragma once
// LSTM over a batch-first sequence x [N, T, F] with zero initial state.
// Weights as PyTorch: w_ih [4H, F], w_hh [4H, H], gate order i, f, g, o; one
// bias [4H] (Keras keeps one; PyTorch's b_ih + b_hh is the same thing):
//   a = x_t w_ih^T + h_{t-1} w_hh^T + b
//   i = sigmoid(a_i), f = sigmoid(a_f), g = tanh(a_g), o = sigmoid(a_o)
//   c_t = f * c_{t-1} + i * g,  h_t = o * tanh(c_t)

#include <cstdint>

namespace ser::nn {

struct LstmShape {
  int64_t batch = 1, steps = 1, input = 1, hidden = 1;
};

// Writes h [N, T, H], c [N, T, H] and the activated gates [N, T, 4H] (kept for backward).
template <typename T>
void lstm_forward_naive(const T* x, const T* w_ih, const T* w_hh, const T* b, T* h, T* c, T* gates, const LstmShape& s);

// dh [N, T, H] is the gradient of every output step (zeros where a step is
// not used). Back-propagation through time; accumulates into dx, dw_ih, dw_hh, db.
template <typename T>
void lstm_backward_naive(const T* x, const T* w_ih, const T* w_hh, const T* h, const T* c, const T* gates, const T* dh, T* dx,
                   T* dw_ih, T* dw_hh, T* db, const LstmShape& s);

// The same on our sgemm, what the ops use: the input projection of every
// step in one GEMM, then per step one GEMM for all four gates of the whole
// batch followed by the fused gate non-linearities. Backward mirrors it:
// one GEMM per step for the recurrent gradient, the weight and input
// gradients as large GEMMs over all steps at the end.
void lstm_forward(const float* x, const float* w_ih, const float* w_hh, const float* b, float* h, float* c,
                  float* gates, const LstmShape& s, int threads);
void lstm_backward(const float* x, const float* w_ih, const float* w_hh, const float* h, const float* c,
                   const float* gates, const float* dh, float* dx, float* dw_ih, float* dw_hh, float* db,
                   const LstmShape& s, int threads);

}  // namespace ser::nn
