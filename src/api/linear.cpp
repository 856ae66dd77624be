// vkcap::Linear: a projection y = x·W + b through the library's linear kernel.
#include "api/primitives_impl.h"
#include "kernels/linear.h"

namespace vkcap {

struct Linear::Impl {
  std::shared_ptr<Context::Impl> context;  // outlives the packed weight
  kernels::PackedWeight weight;
  int in = 0, out = 0;
};

Linear::Linear(Context& context, std::span<const float> weight, int in, int out, std::span<const float> bias) {
  if (in <= 0 || out <= 0)
    throw Error("Linear: in = " + std::to_string(in) + " and out = " + std::to_string(out) + " must be positive");
  if (weight.size() != size_t(in) * size_t(out))
    throw Error("Linear: the weight has " + std::to_string(weight.size()) + " values, expected in*out = " +
                std::to_string(size_t(in) * out));
  if (!bias.empty() && bias.size() != size_t(out))
    throw Error("Linear: the bias has " + std::to_string(bias.size()) + " values, expected out = " + std::to_string(out));
  impl_ = std::make_unique<Impl>();
  impl_->context = context.impl_;
  impl_->in = in;
  impl_->out = out;
  // [in, out] row-major is GPT-2's Conv1D layout (InOut).
  impl_->weight = kernels::pack_linear(impl_->context->gpu, weight.data(), bias.empty() ? nullptr : bias.data(), out,
                                       in, kernels::WeightLayout::InOut, kernels::WeightType::F32);
}

Linear::~Linear() = default;
Linear::Linear(Linear&&) noexcept = default;
Linear& Linear::operator=(Linear&&) noexcept = default;
int Linear::in() const { return impl_->in; }
int Linear::out() const { return impl_->out; }

Tensor Linear::operator()(const Tensor& x) const {
  Context::Impl& ctx = context_of(x, "Linear: x");
  if (&ctx != impl_->context.get()) throw Error("Linear: x was made by another Context than the weights");
  if (x.dim(-1) != impl_->in)
    throw Error("Linear: x has shape " + shape_text(x.shape()) + ", its last dimension must be in = " +
                std::to_string(impl_->in));
  std::vector<int> shape = x.shape();
  shape.back() = impl_->out;
  Tensor y = make_tensor(impl_->context, shape);
  kernels::LinearArgs a;
  a.w = &impl_->weight;
  a.x = kernels::BufferRef(x.impl().buffer);
  a.m = int(x.size() / size_t(impl_->in));
  a.y = kernels::BufferRef(y.impl().buffer);
  vk::Recorder rec(ctx.gpu);
  kernels::record_linear(rec, a);
  rec.submit();
  return y;
}

}  // namespace vkcap
