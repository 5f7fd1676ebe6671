#include "nn/tensor.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <atomic>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "common/sanitizer.hpp"
#include "nn/kernels/scratch.hpp"

namespace ser::nn {

namespace {

#if SER_ADDRESS_SANITIZER
constexpr bool kPooling = false;
#else
constexpr bool kPooling = true;
#endif

// Sizes rounded up to one of 8 steps per power of two: at most 12.5% waste,
// and tensors of nearly equal size share blocks.
size_t size_class(size_t bytes) {
  bytes = std::max<size_t>(64, (bytes + 63) / 64 * 64);
  if (bytes <= 4096) return bytes;
  size_t top = size_t{1} << (63 - __builtin_clzll(bytes));
  const size_t step = top / 8;
  return (bytes + step - 1) / step * step;
}

std::atomic<bool> pool_alive{false};

struct Pool {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void*>> free;
  BufferPoolStats stats;
  Pool() { pool_alive = true; }
  ~Pool() {
    pool_alive = false;  // buffers that outlive the pool (static tensors) go straight back to the system
    for (auto& [bytes, blocks] : free)
      for (void* p : blocks) std::free(p);
  }
};

Pool& pool() {
  static Pool p;
  return p;
}

void* take(size_t bytes) {
  if (kPooling) {
    Pool& p = pool();
    std::lock_guard lock(p.mutex);
    auto it = p.free.find(bytes);
    if (it != p.free.end() && !it->second.empty()) {
      void* block = it->second.back();
      it->second.pop_back();
      ++p.stats.reused;
      p.stats.cached_bytes -= static_cast<int64_t>(bytes);
      return block;
    }
    ++p.stats.system_allocations;
  }
  void* block = std::aligned_alloc(64, bytes);
  if (!block) throw std::bad_alloc();
  return block;
}

void* allocate(int64_t n, size_t& bytes) {
  if (n < 0) throw std::invalid_argument("negative buffer size");
  bytes = size_class(static_cast<size_t>(std::max<int64_t>(n, 1)) * sizeof(float));
  return take(bytes);
}
}  // namespace

void Buffer::Free::operator()(float* p) const {
  if (kPooling && pool_alive) {
    Pool& pl = pool();
    std::lock_guard lock(pl.mutex);
    pl.free[bytes].push_back(p);
    pl.stats.cached_bytes += static_cast<int64_t>(bytes);
    return;
  }
  std::free(p);
}

BufferPoolStats buffer_pool_stats() {
  Pool& p = pool();
  std::lock_guard lock(p.mutex);
  return p.stats;
}

namespace {
// Gradient buffers are zeroed every step and the large ones are activation
// sized (2.4 MB for the TESS CNN's first layer): split those over the
// threads, which the other cores' memory bandwidth pays for.
void zero_floats(float* p, int64_t n, int threads) {
  for_element_ranges(n, 1 << 17, threads, [p](int64_t lo, int64_t hi) {
    std::memset(p + lo, 0, static_cast<size_t>(hi - lo) * sizeof(float));
  });
}
}  // namespace

Buffer::Buffer(int64_t n) : Buffer(n, Uninitialized{}) { zero_floats(ptr_.get(), std::max<int64_t>(n, 1), 1); }

Buffer::Buffer(int64_t n, Uninitialized) : ptr_(nullptr, Free{0}), n_(n) {
  size_t bytes = 0;
  void* p = allocate(n, bytes);
  ptr_ = std::unique_ptr<float, Free>(static_cast<float*>(p), Free{bytes});
}

// A stale gradient is cleared here, on one thread: callers that go on to
// several threads fetch the pointer first (the optimisers do).
float* TensorImpl::grad_data(int threads) {
  if (!grad) {
    grad = Buffer::uninitialized(shape.numel());
    zero_floats(grad->data(), std::max<int64_t>(shape.numel(), 1), threads);
  } else if (grad_stale) {
    zero_floats(grad->data(), shape.numel(), threads);
    grad_stale = false;
  }
  return grad->data();
}

float* TensorImpl::grad_to_write(bool& overwrite) {
  overwrite = false;
  if (!requires_grad) return nullptr;
  if (!grad) {
    grad = Buffer::uninitialized(shape.numel());
    overwrite = true;
  } else if (grad_stale) {
    overwrite = true;
    grad_stale = false;
  }
  return grad->data();
}

Tensor Tensor::zeros(const Shape& shape, bool requires_grad) {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->data = std::make_shared<Buffer>(shape.numel());
  impl->requires_grad = requires_grad;
  return Tensor(std::move(impl));
}

Tensor Tensor::full(const Shape& shape, float value) {
  Tensor t = zeros(shape);
  std::fill_n(t.data(), t.numel(), value);
  return t;
}

Tensor Tensor::from(const Shape& shape, std::span<const float> values, bool requires_grad) {
  if (static_cast<int64_t>(values.size()) != shape.numel())
    throw std::invalid_argument("Tensor::from: " + std::to_string(values.size()) + " values for shape " + shape.str());
  Tensor t = zeros(shape, requires_grad);
  std::copy(values.begin(), values.end(), t.data());
  return t;
}

float Tensor::item() const {
  if (numel() != 1) throw std::logic_error("item() on a tensor of shape " + shape().str());
  return data()[0];
}

std::span<const float> Tensor::grad_values() const {
  if (!impl_->grad) return {};
  return {impl_->grad_data(1), static_cast<size_t>(numel())};
}

void Tensor::zero_grad() {
  if (impl_->grad) impl_->grad_stale = true;
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = impl_->shape;
  impl->data = impl_->data;
  return Tensor(std::move(impl));
}

Tensor Tensor::clone() const { return from(shape(), values()); }

Tensor Tensor::reshape(const Shape& new_shape) const {
  if (new_shape.numel() != numel())
    throw std::invalid_argument("cannot reshape " + shape().str() + " to " + new_shape.str() + ": sizes differ");
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = new_shape;
  impl->data = impl_->data;  // a view: no copy
  if (impl_->requires_grad) {
    impl->requires_grad = true;
    impl->inputs = {impl_};
    impl->backward = [](TensorImpl& out, int threads) {
      TensorImpl& in = *out.inputs[0];
      float* g = in.grad_data(threads);
      const float* go = out.grad->data();
      for (int64_t i = 0, n = out.shape.numel(); i < n; ++i) g[i] += go[i];
    };
  }
  return Tensor(std::move(impl));
}

Tensor make_op_result(const Shape& shape, std::initializer_list<const Tensor*> inputs, BackwardFn backward,
                      std::shared_ptr<Buffer> data) {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  if (data && data->size() != shape.numel()) throw std::logic_error("make_op_result: storage size mismatch");
  impl->data = data ? std::move(data) : std::make_shared<Buffer>(shape.numel());
  Tensor out(std::move(impl));
  bool record = false;
  for (const Tensor* t : inputs)
    if (t && t->defined() && t->requires_grad()) record = true;
  if (record) {
    out.impl_->requires_grad = true;
    for (const Tensor* t : inputs)
      if (t && t->defined()) out.impl_->inputs.push_back(t->impl_);
    out.impl_->backward = std::move(backward);
  }
  return out;
}

void Tensor::backward(int threads) {
  if (numel() != 1) throw std::logic_error("backward() needs a scalar, got shape " + shape().str());
  const float one = 1.0f;
  backward(std::span<const float>(&one, 1), threads);
}

void Tensor::backward(std::span<const float> grad_output, int threads) {
  if (static_cast<int64_t>(grad_output.size()) != numel())
    throw std::logic_error("backward(): upstream gradient has " + std::to_string(grad_output.size()) +
                           " values for shape " + shape().str());
  if (!requires_grad()) throw std::logic_error("backward() on a tensor that does not require gradients");

  // Iterative post-order DFS: `order` ends with the root, inputs before users.
  // `order` holds owning pointers: releasing a node's inputs below must not
  // free a node that is still to be visited.
  std::vector<std::shared_ptr<TensorImpl>> order;
  std::unordered_set<TensorImpl*> seen;
  std::vector<std::pair<std::shared_ptr<TensorImpl>, size_t>> stack{{impl_, 0}};
  seen.insert(impl_.get());
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    if (next < node->inputs.size()) {
      const std::shared_ptr<TensorImpl>& child = node->inputs[next++];
      if (child->requires_grad && seen.insert(child.get()).second) stack.push_back({child, 0});
    } else {
      order.push_back(std::move(node));
      stack.pop_back();
    }
  }

  float* seed = impl_->grad_data(threads);
  for (size_t i = 0; i < grad_output.size(); ++i) seed[i] += grad_output[i];
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    TensorImpl* node = it->get();
    if (!node->backward) continue;  // a leaf: keeps its gradient
    if (node->grad) node->backward(*node, threads);
    // Release the graph as we go: intermediate values, closures, gradients.
    node->backward = nullptr;
    node->inputs.clear();
    node->grad.reset();
  }
}

}  // namespace ser::nn
