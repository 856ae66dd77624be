#pragma once
// The attention primitives vkcap's models are built from, on any Vulkan GPU, for your own data.
// Three things to hold in your head: a Context (one GPU), Tensors (float arrays on it) and
// functions that run on Tensors and return new ones.
//
//   vkcap::Context gpu;                                          // the best Vulkan device
//   vkcap::Tensor q = gpu.tensor(q_values, {5, 16});             // 5 queries of width 16
//   vkcap::Tensor k = gpu.tensor(k_values, {7, 16}), v = gpu.tensor(v_values, {7, 16});
//   vkcap::Attention a = vkcap::attention(q, k, v, {.heads = 2, .keep_probabilities = true});
//   std::vector<float> out = a.output.read();                   // [5, 16]
//   std::vector<float> p = a.probabilities.read();              // [1, 2, 5, 7]
//
// The math, for each batch b, head h, query i (see attention()):
//   scores[i, j] = q_i · k_j * scale            scale = 1/sqrt(head_dim) unless given
//   weights[i, :] = softmax_j(scores[i, :])     masked positions (causal: j > i) get weight 0
//   out_i = sum_j weights[i, j] v_j
// The tutorial's four lessons are the same call:
//   scaled dot-product attention   attention(q, k, v)
//   masked (causal) self-attention attention(q, k, v, {.causal = true})
//   multi-head attention           attention(q, k, v, {.heads = h}) on q, k, v of width h*head_dim
//   cross-attention                q from one sequence (the text being written), k and v from
//                                  another (the image tokens, a sentence in another language):
//                                  lq != lk is fine.
// Projections (x·W_q, x·W_k, …) run on the GPU through Linear.
//
// Errors: wrong shapes and GPU failures throw vkcap::Error (vkcap/error.h).
// Threads: a Context and its Tensors are not thread-safe; use one Context per thread. Every
// function runs to completion on the GPU before it returns.
// This header is self-contained (standard library only): no Vulkan or vkcap-internal types.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "vkcap/error.h"

namespace vkcap {

class Tensor;

struct ContextOptions {
  // An index or a substring of the device name; empty = the best device.
  std::string device;
  // Khronos validation layer; messages go to on_validation_message, or to stderr when it is
  // empty.
  bool validation = false;
  std::function<void(const std::string&)> on_validation_message;
};

class Context {
 public:
  explicit Context(const ContextOptions& options = {});
  ~Context();
  Context(Context&&) noexcept;
  Context& operator=(Context&&) noexcept;

  std::string device_name() const;
  // Uploads `values` as a row-major tensor of `shape` (product of shape == values.size()).
  Tensor tensor(std::span<const float> values, std::vector<int> shape);
  Tensor zeros(std::vector<int> shape);

  struct Impl;

 private:
  friend class Linear;
  std::shared_ptr<Impl> impl_;
};

// Floats on the GPU with a row-major shape. Copies share the same device memory (a handle);
// the memory lives as long as some handle does, even past its Context object.
class Tensor {
 public:
  Tensor();
  const std::vector<int>& shape() const;
  int dim(int axis) const;  // negative counts from the end: dim(-1) is the last
  size_t size() const;      // number of floats
  bool empty() const;
  std::vector<float> read() const;              // GPU -> host
  void write(std::span<const float> values);    // host -> GPU, size() values

  struct Impl;
  explicit Tensor(std::shared_ptr<Impl> impl);
  Impl& impl() const;

 private:
  std::shared_ptr<Impl> impl_;
};

struct AttentionOptions {
  int heads = 1;              // q, k, v rows are heads * head_dim wide, head h at [h*head_dim, (h+1)*head_dim)
  bool causal = false;        // query i sees keys j <= i + (lk - lq) (the last query sees every key)
  std::optional<float> scale; // default 1/sqrt(head_dim)
  bool keep_probabilities = false;  // also return the attention weights
};

struct Attention {
  Tensor output;         // q's shape: [lq, heads*head_dim] or [batch, lq, heads*head_dim]
  Tensor probabilities;  // [batch, heads, lq, lk] (batch = 1 for 2-D q); empty unless kept
};

// q: [lq, heads*head_dim] or [batch, lq, heads*head_dim]; k and v: [lk, heads*head_dim] or
// [batch or 1, lk, heads*head_dim] (a batch of 1 is shared by every query batch). head_dim up
// to 128.
Attention attention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionOptions& options = {});

// The lessons under their own names (all are attention() with options).
inline Attention scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v) {
  return attention(q, k, v, {.heads = 1, .keep_probabilities = true});
}
inline Attention masked_self_attention(const Tensor& q, const Tensor& k, const Tensor& v, int heads = 1) {
  return attention(q, k, v, {.heads = heads, .causal = true, .keep_probabilities = true});
}
inline Attention multi_head_attention(const Tensor& q, const Tensor& k, const Tensor& v, int heads) {
  return attention(q, k, v, {.heads = heads, .keep_probabilities = true});
}
// Queries from the output sequence, keys and values from the input sequence.
inline Attention cross_attention(const Tensor& queries, const Tensor& keys, const Tensor& values, int heads = 1) {
  return attention(queries, keys, values, {.heads = heads, .keep_probabilities = true});
}

// y = x · W + b on the GPU, for the projections around attention. W is [in, out] row-major
// (x·W, as written in the papers), b is [out] or empty; x is [..., in], y is [..., out].
// The weights are uploaded once, in the layout the device's kernels read fastest.
class Linear {
 public:
  Linear(Context& context, std::span<const float> weight, int in, int out, std::span<const float> bias = {});
  ~Linear();
  Linear(Linear&&) noexcept;
  Linear& operator=(Linear&&) noexcept;
  Tensor operator()(const Tensor& x) const;
  int in() const;
  int out() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vkcap
