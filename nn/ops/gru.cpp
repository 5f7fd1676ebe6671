// gru
#include <memory>
#include <stdexcept>
#include <vector>

#include "nn/kernels/gru.hpp"
#include "nn/ops.hpp"
#include "nn/ops/recurrent_output.hpp"

namespace ser::nn {

Tensor gru(const Tensor& x, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh,
           bool return_sequences, int threads) {
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
                            [s, saved, return_sequences](TensorImpl& r, int threads) {
    std::vector<float> dh_storage;
    const float* dh = steps_gradient(r.grad->data(), {s.batch, s.steps, s.hidden}, return_sequences, dh_storage);
    TensorImpl& xi = *r.inputs[0];
    gru_backward(xi.data->data(), r.inputs[1]->data->data(), r.inputs[2]->data->data(), saved->h.data(),
                 saved->gates.data(), saved->hn.data(), dh, xi.grad_if_needed(threads),
                 r.inputs[1]->grad_if_needed(threads), r.inputs[2]->grad_if_needed(threads),
                 r.inputs[3]->grad_if_needed(threads), r.inputs[4]->grad_if_needed(threads), s, threads);
  });
  gru_forward(x.data(), w_ih.data(), w_hh.data(), b_ih.data(), b_hh.data(), saved->h.data(), saved->gates.data(),
              saved->hn.data(), s, threads);
  write_steps(saved->h, y.data(), {s.batch, s.steps, s.hidden}, return_sequences);
  return y;
}

}  // namespace ser::nn
