// vkcap::Context and vkcap::Tensor: device buffers with a shape, uploaded and read back whole.
#include <numeric>

#include "api/primitives_impl.h"

namespace vkcap {

std::string shape_text(const std::vector<int>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

Tensor make_tensor(const std::shared_ptr<Context::Impl>& context, std::vector<int> shape) {
  if (shape.empty()) throw Error("Tensor: the shape has no dimensions");
  size_t size = 1;
  for (int d : shape) {
    if (d <= 0) throw Error("Tensor: shape " + shape_text(shape) + " has a dimension <= 0");
    size *= size_t(d);
  }
  auto impl = std::make_shared<Tensor::Impl>();
  impl->context = context;
  impl->buffer = context->gpu.create_buffer(size * sizeof(float));
  impl->shape = std::move(shape);
  impl->size = size;
  return Tensor(std::move(impl));
}

Context::Context(const ContextOptions& options) {
  vk::ContextOptions o;
  o.device = options.device;
  o.validation = options.validation;
  if (options.on_validation_message)
    o.on_validation_message = [sink = options.on_validation_message](std::string_view m) { sink(std::string(m)); };
  impl_ = std::make_shared<Impl>(o);
}
Context::~Context() = default;
Context::Context(Context&&) noexcept = default;
Context& Context::operator=(Context&&) noexcept = default;

std::string Context::device_name() const { return impl_->gpu.info().name; }

Tensor Context::tensor(std::span<const float> values, std::vector<int> shape) {
  Tensor t = make_tensor(impl_, std::move(shape));
  t.write(values);
  return t;
}

Tensor Context::zeros(std::vector<int> shape) {
  Tensor t = make_tensor(impl_, std::move(shape));
  t.write(std::vector<float>(t.size(), 0.0f));
  return t;
}

Tensor::Tensor() = default;
Tensor::Tensor(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

Tensor::Impl& Tensor::impl() const {
  if (!impl_) throw Error("Tensor: used before it was made by a Context");
  return *impl_;
}

const std::vector<int>& Tensor::shape() const {
  static const std::vector<int> none;
  return impl_ ? impl_->shape : none;
}

int Tensor::dim(int axis) const {
  const int rank = int(shape().size());
  const int a = axis < 0 ? rank + axis : axis;
  if (a < 0 || a >= rank)
    throw Error("Tensor::dim: axis " + std::to_string(axis) + " is outside shape " + shape_text(shape()));
  return shape()[size_t(a)];
}

size_t Tensor::size() const { return impl_ ? impl_->size : 0; }
bool Tensor::empty() const { return !impl_; }

std::vector<float> Tensor::read() const {
  std::vector<float> values(size());
  if (impl_) impl_->context->gpu.download(impl_->buffer, values.data(), values.size() * sizeof(float));
  return values;
}

void Tensor::write(std::span<const float> values) {
  Impl& t = impl();
  if (values.size() != t.size)
    throw Error("Tensor::write: " + std::to_string(values.size()) + " values for shape " + shape_text(t.shape) +
                " (" + std::to_string(t.size) + " floats)");
  t.context->gpu.upload(t.buffer, values.data(), values.size_bytes());
}

}  // namespace vkcap
