#pragma once
// Softmax cross-entropy from logits [rows, classes] and integer targets.
// With class weights w the loss is sum_r w[t_r] * -log p_r[t_r] / sum_r w[t_r]
// (PyTorch's weighted mean); without, the plain mean over rows. With label
// smoothing e (PyTorch's label_smoothing), (1 - e) of that plus e times the
// mean over the classes c of w[c] * -log p_r[c], summed over rows and
// divided by the same sum of the targets' weights.

#include <cstdint>

namespace ser::nn {

// Returns the loss and writes the softmax probabilities (needed by backward).
template <typename T>
T cross_entropy_forward(const T* logits, const int32_t* targets, const T* class_weights, T* probs, int64_t rows,
                        int64_t classes, T smoothing = T(0));

// dlogits += dloss * d(loss)/d(logits).
template <typename T>
void cross_entropy_backward(const T* probs, const int32_t* targets, const T* class_weights, T dloss, T* dlogits,
                            int64_t rows, int64_t classes, T smoothing = T(0));

// The pieces of the two above for a batch cut into shards: the rows' sums
// (target loss, spread loss, targets' weight), which the shards add in
// shard order; the loss of the summed pieces; and the gradient of rows of
// a batch whose targets weigh `total_weight` in all.
struct CrossEntropySums {
  static constexpr int kWidth = 3;  // target loss, spread loss, targets' weight
};
template <typename T>
void cross_entropy_sums(const T* logits, const int32_t* targets, const T* class_weights, T* probs, int64_t rows,
                        int64_t classes, T smoothing, T* sums);
template <typename T>
T cross_entropy_of_sums(const T* sums, int64_t classes, T smoothing);
template <typename T>
void cross_entropy_backward_rows(const T* probs, const int32_t* targets, const T* class_weights, T dloss,
                                 T total_weight, T* dlogits, int64_t rows, int64_t classes, T smoothing);

}  // namespace ser::nn
