#include "nn/kernels/cross_entropy.hpp"

#include <cmath>

#include "nn/kernels/activation.hpp"

namespace ser::nn {

template <typename T>
T cross_entropy_forward(const T* logits, const int32_t* targets, const T* class_weights, T* probs, int64_t rows,
                        int64_t classes) {
  softmax_forward(logits, probs, rows, classes);
  T loss = 0, total_weight = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const int32_t t = targets[r];
    const T wt = class_weights ? class_weights[t] : T(1);
    // log-sum-exp form: exact even when the probability underflows.
    const T* lr = logits + r * classes;
    T m = lr[0];
    for (int64_t c = 1; c < classes; ++c) m = lr[c] > m ? lr[c] : m;
    T sum = 0;
    for (int64_t c = 0; c < classes; ++c) sum += std::exp(lr[c] - m);
    loss += wt * (std::log(sum) + m - lr[t]);
    total_weight += wt;
  }
  return loss / total_weight;
}

template <typename T>
void cross_entropy_backward(const T* probs, const int32_t* targets, const T* class_weights, T dloss, T* dlogits,
                            int64_t rows, int64_t classes) {
  T total_weight = 0;
  for (int64_t r = 0; r < rows; ++r) total_weight += class_weights ? class_weights[targets[r]] : T(1);
  for (int64_t r = 0; r < rows; ++r) {
    const int32_t t = targets[r];
    const T scale = dloss * (class_weights ? class_weights[t] : T(1)) / total_weight;
    for (int64_t c = 0; c < classes; ++c)
      dlogits[r * classes + c] += scale * (probs[r * classes + c] - (c == t ? T(1) : T(0)));
  }
}

#define SER_INSTANTIATE(T)                                                                       \
  template T cross_entropy_forward<T>(const T*, const int32_t*, const T*, T*, int64_t, int64_t); \
  template void cross_entropy_backward<T>(const T*, const int32_t*, const T*, T, T*, int64_t, int64_t);
SER_INSTANTIATE(float)
SER_INSTANTIATE(double)
#undef SER_INSTANTIATE

}  // namespace ser::nn
