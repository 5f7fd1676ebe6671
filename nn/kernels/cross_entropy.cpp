#include "nn/kernels/cross_entropy.hpp"

#include <cmath>

#include "nn/kernels/activation.hpp"

namespace ser::nn {

template <typename T>
void cross_entropy_sums(const T* logits, const int32_t* targets, const T* class_weights, T* probs, int64_t rows,
                        int64_t classes, T smoothing, T* sums) {
  softmax_forward(logits, probs, rows, classes);
  const auto w = [&](int64_t c) { return class_weights ? class_weights[c] : T(1); };
  T target_loss = 0, spread_loss = 0, total_weight = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const int32_t t = targets[r];
    // log-sum-exp form: exact even when the probability underflows.
    const T* lr = logits + r * classes;
    T m = lr[0];
    for (int64_t c = 1; c < classes; ++c) m = lr[c] > m ? lr[c] : m;
    T sum = 0;
    for (int64_t c = 0; c < classes; ++c) sum += std::exp(lr[c] - m);
    const T log_sum = std::log(sum) + m;
    target_loss += w(t) * (log_sum - lr[t]);
    if (smoothing != T(0))
      for (int64_t c = 0; c < classes; ++c) spread_loss += w(c) * (log_sum - lr[c]);
    total_weight += w(t);
  }
  sums[0] = target_loss;
  sums[1] = spread_loss;
  sums[2] = total_weight;
}

// PyTorch's label_smoothing: (1 - e) of the loss on the target, e spread
// evenly over the classes, both normalised by the targets' weights.
template <typename T>
T cross_entropy_of_sums(const T* sums, int64_t classes, T smoothing) {
  return ((T(1) - smoothing) * sums[0] + smoothing / static_cast<T>(classes) * sums[1]) / sums[2];
}

template <typename T>
T cross_entropy_forward(const T* logits, const int32_t* targets, const T* class_weights, T* probs, int64_t rows,
                        int64_t classes, T smoothing) {
  T sums[CrossEntropySums::kWidth];
  cross_entropy_sums(logits, targets, class_weights, probs, rows, classes, smoothing, sums);
  return cross_entropy_of_sums(sums, classes, smoothing);
}

template <typename T>
void cross_entropy_backward_rows(const T* probs, const int32_t* targets, const T* class_weights, T dloss,
                                 T total_weight, T* dlogits, int64_t rows, int64_t classes, T smoothing) {
  const auto w = [&](int64_t c) { return class_weights ? class_weights[c] : T(1); };
  T all_weights = 0;
  for (int64_t c = 0; c < classes; ++c) all_weights += w(c);
  const T spread = smoothing / static_cast<T>(classes);
  for (int64_t r = 0; r < rows; ++r) {
    const int32_t t = targets[r];
    const T scale = dloss / total_weight;
    for (int64_t c = 0; c < classes; ++c) {
      const T p = probs[r * classes + c];
      const T on_target = (T(1) - smoothing) * w(t) * (p - (c == t ? T(1) : T(0)));
      dlogits[r * classes + c] += scale * (on_target + spread * (all_weights * p - w(c)));
    }
  }
}

template <typename T>
void cross_entropy_backward(const T* probs, const int32_t* targets, const T* class_weights, T dloss, T* dlogits,
                            int64_t rows, int64_t classes, T smoothing) {
  T total_weight = 0;
  for (int64_t r = 0; r < rows; ++r) total_weight += class_weights ? class_weights[targets[r]] : T(1);
  cross_entropy_backward_rows(probs, targets, class_weights, dloss, total_weight, dlogits, rows, classes, smoothing);
}

#define SER_INSTANTIATE(T)                                                                       \
  template void cross_entropy_sums<T>(const T*, const int32_t*, const T*, T*, int64_t, int64_t, T, T*); \
  template T cross_entropy_of_sums<T>(const T*, int64_t, T);                                        \
  template void cross_entropy_backward_rows<T>(const T*, const int32_t*, const T*, T, T, T*, int64_t, int64_t, T); \
  template T cross_entropy_forward<T>(const T*, const int32_t*, const T*, T*, int64_t, int64_t, T); \
  template void cross_entropy_backward<T>(const T*, const int32_t*, const T*, T, T*, int64_t, int64_t, T);
SER_INSTANTIATE(float)
SER_INSTANTIATE(double)
#undef SER_INSTANTIATE

}  // namespace ser::nn
