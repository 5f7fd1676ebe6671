// dense, over kernels/dense.cpp
#include "nn/kernels/dense.hpp"
#include "nn/ops.hpp"
#include "nn/ops/param_grads.hpp"

namespace ser::nn {

using op_detail::param_grads;
using op_detail::ParamGrads;
using op_detail::require;

Tensor dense(const Tensor& x, const Tensor& w, const Tensor& b, int threads) {
  require(x.rank() == 2, "dense: input must be [batch, features], got " + x.shape().str());
  require(w.rank() == 2 && w.dim(1) == x.dim(1), "dense: weight " + w.shape().str() + " does not fit input " +
                                                     x.shape().str() + " (expected [out, " + std::to_string(x.dim(1)) +
                                                     "])");
  require(!b.defined() || (b.rank() == 1 && b.dim(0) == w.dim(0)),
          "dense: bias must be [" + std::to_string(w.dim(0)) + "]");
  const int64_t N = x.dim(0), in = x.dim(1), out = w.dim(0);
  const bool has_bias = b.defined();
  Tensor y = make_op_result(Shape{N, out}, {&x, &w, &b}, [N, in, out, has_bias](TensorImpl& o, int threads) {
    TensorImpl& xi = *o.inputs[0];
    const ParamGrads pg = param_grads(*o.inputs[1], has_bias ? o.inputs[2].get() : nullptr);
    bool dx_fresh = false;
    float* dx = xi.grad_to_write(dx_fresh);
    dense_backward(xi.data->data(), o.inputs[1]->data->data(), o.grad->data(), dx, pg.dw, pg.db, N, in, out,
                   {.dx = dx_fresh, .params = pg.fresh}, threads);
  }, Buffer::uninitialized(N * out));
  dense_forward(x.data(), w.data(), has_bias ? b.data() : nullptr, y.data(), N, in, out, threads);
  return y;
}

}  // namespace ser::nn
