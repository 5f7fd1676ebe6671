// gru
#include <memory>
#include <stdexcept>
#include <vector>

#include "nn/kernels/gru.hpp"
#include "nn/ops.hpp"
#include "nn/ops/param_grads.hpp"
#include "nn/ops/recurrent_output.hpp"

namespace ser::nn {

using op_detail::row_at;
using op_detail::shard_grad;

Tensor gru(const Tensor& x, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh,
           bool return_sequences, int threads, StepShards* shards) {
  if (x.rank() != 3)
    throw std::invalid_argument("gru: input must be [batch, steps, features], got " + x.shape().str());
  GruShape s{x.dim(0), x.dim(1), x.dim(2), w_hh.rank() == 2 ? w_hh.dim(1) : 0};
  const int64_t G = 3 * s.hidden;
  if (w_ih.shape() != Shape{G, s.input} || w_hh.shape() != Shape{G, s.hidden} || b_ih.shape() != Shape{G} ||
      b_hh.shape() != Shape{G})
    throw std::invalid_argument("gru: weights " + w_ih.shape().str() + ", " + w_hh.shape().str() + ", " +
                                b_ih.shape().str() + ", " + b_hh.shape().str() + " do not fit input " +
                                x.shape().str() + " (expected [3H, F], [3H, H], [3H], [3H])");
  const size_t seq = static_cast<size_t>(s.batch * s.steps);
  struct Saved {  // every step's h, gates and recurrent n part, for back-propagation through time
    std::vector<float> h, gates, hn;
  };
  auto saved = std::make_shared<Saved>();
  saved->h.resize(seq * static_cast<size_t>(s.hidden));
  saved->gates.resize(seq * static_cast<size_t>(G));
  saved->hn.resize(seq * static_cast<size_t>(s.hidden));

  const Shape out_shape = return_sequences ? Shape{s.batch, s.steps, s.hidden} : Shape{s.batch, s.hidden};
  Tensor y = make_op_result(out_shape, {&x, &w_ih, &w_hh, &b_ih, &b_hh},
                            [s, saved, return_sequences, shards](TensorImpl& r, int threads) {
    std::vector<float> dh_storage;
    const float* dh = steps_gradient(r.grad->data(), {s.batch, s.steps, s.hidden}, return_sequences, dh_storage);
    TensorImpl& xi = *r.inputs[0];
    float* dx = xi.grad_if_needed(threads);
    const int64_t T = s.steps, H = s.hidden, F = s.input, G = 3 * H;
    for (const ShardRows& part : shard_rows(shards, s.batch)) {
      GruShape rows = s;
      rows.batch = part.end - part.begin;
      const int64_t n = part.begin;
      auto grad = [&](int k) { return shard_grad(shards, part.shard, *r.inputs[k], threads); };
      gru_backward(row_at(xi.data->data(), n, T * F), r.inputs[1]->data->data(), r.inputs[2]->data->data(),
                   row_at(saved->h.data(), n, T * H), row_at(saved->gates.data(), n, T * G),
                   row_at(saved->hn.data(), n, T * H), row_at(dh, n, T * H), row_at(dx, n, T * F), grad(1), grad(2),
                   grad(3), grad(4), rows, threads);
    }
  });
  gru_forward(x.data(), w_ih.data(), w_hh.data(), b_ih.data(), b_hh.data(), saved->h.data(), saved->gates.data(),
              saved->hn.data(), s, threads);
  write_steps(saved->h, y.data(), {s.batch, s.steps, s.hidden}, return_sequences);
  return y;
}

}  // namespace ser::nn
