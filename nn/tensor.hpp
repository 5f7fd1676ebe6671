#pragma once
// Tensor: float32, contiguous, 64-byte-aligned, with reverse-mode autograd.
//
// A Tensor is a cheap handle (shared_ptr) to a TensorImpl. An op that has an
// input requiring gradients records, in its output, the inputs and a closure
// that propagates the output's gradient into them. backward() sorts that graph
// topologically and runs the closures in reverse; that is the whole engine
// (micrograd is the model). Recording happens only when an input requires
// gradients, so inference on detached parameters records nothing.
//
// Threads travel as arguments, as ggml passes n_threads to each graph
// computation: an op's forward takes the count, backward(threads) hands its
// own to every closure, and nothing reads OpenMP's process-wide setting.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "nn/shape.hpp"

namespace ser::nn {

// Owning 64-byte-aligned float array. Memory comes from a pool of freed
// blocks (by size class), so a training loop that makes the same tensors
// every step stops asking the system for memory after its first step, and
// large activations do not page-fault afresh each time. (Sanitizer builds
// bypass the pool so that use-after-free stays visible.)
class Buffer {
 public:
  explicit Buffer(int64_t n);  // zero-filled (on this thread)
  struct Uninitialized {};
  Buffer(int64_t n, Uninitialized);  // for outputs a kernel overwrites completely
  static std::shared_ptr<Buffer> uninitialized(int64_t n) { return std::make_shared<Buffer>(n, Uninitialized{}); }
  float* data() { return ptr_.get(); }
  const float* data() const { return ptr_.get(); }
  int64_t size() const { return n_; }

 private:
  struct Free {
    size_t bytes = 0;
    void operator()(float* p) const;
  };
  std::unique_ptr<float, Free> ptr_;
  int64_t n_;
};

// How often Buffers came from the system and from the pool (for tests and benchmarks).
struct BufferPoolStats {
  int64_t system_allocations = 0, reused = 0, cached_bytes = 0;
};
BufferPoolStats buffer_pool_stats();

struct TensorImpl;
// Propagates `out`'s gradient into the gradients of its recorded inputs, on
// up to `threads` threads.
using BackwardFn = std::function<void(TensorImpl& out, int threads)>;

struct TensorImpl {
  Shape shape;
  std::shared_ptr<Buffer> data;
  std::shared_ptr<Buffer> grad;  // allocated on first use
  // zero_grad() was called: the gradient is zero, but its buffer is cleared
  // only when something adds to it (grad_data), or not at all when a kernel
  // writes all of it (grad_to_write). For a model's parameters that saves a
  // pass over every weight gradient each step.
  bool grad_stale = false;
  bool requires_grad = false;
  std::vector<std::shared_ptr<TensorImpl>> inputs;  // empty for leaves
  BackwardFn backward;                              // empty for leaves

  // Allocates a zero gradient if there is none, clears a stale one (large
  // ones split over `threads`).
  float* grad_data(int threads);
  // For backward closures: the gradient to accumulate into, or null when
  // this input does not require one (kernels skip null gradients).
  float* grad_if_needed(int threads) { return requires_grad ? grad_data(threads) : nullptr; }
  // For backward closures whose kernel can write every element of this
  // input's gradient: as grad_if_needed, but a gradient that does not exist
  // yet (created uninitialised) or is stale is handed out as it is and
  // `overwrite` is set, telling the kernel to write (=) rather than add
  // (+=). That saves zeroing megabytes of gradients in a separate pass each
  // step.
  float* grad_to_write(bool& overwrite);
};

class Tensor {
 public:
  Tensor() = default;
  static Tensor zeros(const Shape& shape, bool requires_grad = false);
  static Tensor full(const Shape& shape, float value);
  static Tensor from(const Shape& shape, std::span<const float> values, bool requires_grad = false);

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl_->shape; }
  int64_t numel() const { return impl_->shape.numel(); }
  int rank() const { return impl_->shape.rank(); }
  int64_t dim(int i) const { return impl_->shape[i]; }

  float* data() { return impl_->data->data(); }
  const float* data() const { return impl_->data->data(); }
  std::span<float> values() { return {data(), static_cast<size_t>(numel())}; }
  std::span<const float> values() const { return {data(), static_cast<size_t>(numel())}; }
  float item() const;

  bool requires_grad() const { return impl_->requires_grad; }
  void set_requires_grad(bool on) { impl_->requires_grad = on; }
  bool has_grad() const { return impl_->grad != nullptr; }
  // The gradient, allocated (zero, on this thread) on first access.
  float* grad() { return impl_->grad_data(1); }
  std::span<const float> grad_values() const;
  void zero_grad();  // the gradient becomes zero (its buffer cleared lazily: see TensorImpl::grad_stale)

  // Same data, no gradient recording: the result is a leaf that does not require grad.
  Tensor detach() const;
  // Same data viewed with another shape of equal size (no copy). Records the
  // gradient path when this tensor requires gradients.
  Tensor reshape(const Shape& shape) const;
  Tensor clone() const;  // deep copy of the values, a leaf

  // Reverse-mode differentiation from a scalar: every tensor in the graph that
  // requires gradients gets d(this)/d(tensor) added to its gradient. The graph
  // is released afterwards; leaf gradients stay until zero_grad().
  // The kernels use up to `threads` threads.
  void backward(int threads);
  // The same from a non-scalar output with a given upstream gradient (the
  // vector in a vector-Jacobian product), as PyTorch's y.backward(grad).
  void backward(std::span<const float> grad_output, int threads);

  TensorImpl& impl() { return *impl_; }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

 private:
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}
  friend Tensor make_op_result(const Shape&, std::initializer_list<const Tensor*>, BackwardFn, std::shared_ptr<Buffer>);
  std::shared_ptr<TensorImpl> impl_;
};

// For op implementations: a fresh output of `shape`. If any input requires
// gradients, the output records the inputs and `backward`. `data`, when
// given, becomes the output's storage (ops whose backward needs the output
// keep a pointer to it: capturing the output itself would be a cycle).
Tensor make_op_result(const Shape& shape, std::initializer_list<const Tensor*> inputs, BackwardFn backward,
                      std::shared_ptr<Buffer> data = nullptr);

}  // namespace ser::nn
