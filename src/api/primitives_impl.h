#pragma once
// What vkcap::Context and vkcap::Tensor (include/vkcap/attention.h) hold: a vk::Context, and a
// device buffer with a shape. A tensor keeps its context alive (shared_ptr), so handles may
// outlive the Context object that made them.
#include <memory>
#include <string>
#include <vector>

#include "util/error.h"
#include "vk/context.h"
#include "vkcap/attention.h"

namespace vkcap {

struct Context::Impl {
  vk::Context gpu;
  explicit Impl(const vk::ContextOptions& options) : gpu(options) {}
};

struct Tensor::Impl {
  std::shared_ptr<Context::Impl> context;  // declared first: destroyed after the buffer
  vk::Buffer buffer;
  std::vector<int> shape;
  size_t size = 0;
};

// The context of a tensor argument, checking that it has one.
inline Context::Impl& context_of(const Tensor& t, const char* what) {
  if (t.empty()) throw Error(std::string(what) + ": the tensor is empty (made by Tensor(), not by a Context)");
  return *t.impl().context;
}

// A new tensor of `shape` on `context` (uninitialised device memory).
Tensor make_tensor(const std::shared_ptr<Context::Impl>& context, std::vector<int> shape);

// "[2, 5, 16]" for messages.
std::string shape_text(const std::vector<int>& shape);

}  // namespace vkcap
