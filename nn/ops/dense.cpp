// dense, over kernels/dense.cpp
#include "nn/kernels/dense.hpp"
#include "nn/ops.hpp"
#include "nn/ops/param_grads.hpp"

namespace ser::nn {

using op_detail::param_grads;
using op_detail::ParamGrads;
using op_detail::require;
using op_detail::row_at;
using op_detail::shard_param_grads;

Tensor dense(const Tensor& x, const Tensor& w, const Tensor& b, int threads, StepShards* shards) {
  require(x.rank() == 2, "dense: input must be [batch, features], got " + x.shape().str());
  require(w.rank() == 2 && w.dim(1) == x.dim(1), "dense: weight " + w.shape().str() + " does not fit input " +
                                                     x.shape().str() + " (expected [out, " + std::to_string(x.dim(1)) +
                                                     "])");
  require(!b.defined() || (b.rank() == 1 && b.dim(0) == w.dim(0)),
          "dense: bias must be [" + std::to_string(w.dim(0)) + "]");
  const int64_t N = x.dim(0), in = x.dim(1), out = w.dim(0);
  const bool has_bias = b.defined();
  Tensor y = make_op_result(Shape{N, out}, {&x, &w, &b}, [N, in, out, has_bias, shards](TensorImpl& o, int threads) {
    TensorImpl& xi = *o.inputs[0];
    bool dx_fresh = false;
    float* dx = xi.grad_to_write(dx_fresh);
    for (const ShardRows& r : shard_rows(shards, N)) {
      const ParamGrads pg = shard_param_grads(shards, r.shard, *o.inputs[1], has_bias ? o.inputs[2].get() : nullptr);
      dense_backward(row_at(xi.data->data(), r.begin, in), o.inputs[1]->data->data(), row_at(o.grad->data(), r.begin, out),
                     row_at(dx, r.begin, in), pg.dw, pg.db, r.end - r.begin, in, out,
                     {.dx = dx_fresh, .params = pg.fresh}, threads);
    }
  }, Buffer::uninitialized(N * out));
  dense_forward(x.data(), w.data(), has_bias ? b.data() : nullptr, y.data(), N, in, out, threads);
  return y;
}

}  // namespace ser::nn
