// pack_linear: lays a linear layer's weight out the way its kernel variant reads it (see
// linear.h) and uploads it once.
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "kernels/linear.h"
#include "kernels/linear_half.h"
#include "util/error.h"

namespace vkcap::kernels {

namespace {

int round_up(int value, int multiple) { return (value + multiple - 1) / multiple * multiple; }

// Writes W[col, kk] (nn.Linear indexing) of the packed layout through `put(index, value)`.
template <typename Put>
void for_each_weight(const float* w, int n, int k, WeightLayout layout, Put put) {
  for (int col = 0; col < n; ++col)
    for (int kk = 0; kk < k; ++kk) {
      const float v = layout == WeightLayout::OutIn ? w[static_cast<size_t>(col) * k + kk]
                                                    : w[static_cast<size_t>(kk) * n + col];
      put(col, kk, v);
    }
}

// A device buffer of `count` T filled by `fill(T*)` (zeroed first): written in place when the
// device memory is mapped (lavapipe, integrated GPUs), so a layer's weights exist once on the
// host side; staged through a host vector otherwise.
template <typename T, typename Fill>
vk::Buffer pack_into_device(vk::Context& ctx, size_t count, Fill fill) {
  vk::Buffer buffer = ctx.create_buffer(count * sizeof(T));
  if (void* mapped = buffer.mapped()) {
    std::memset(mapped, 0, count * sizeof(T));
    fill(static_cast<T*>(mapped));
    return buffer;
  }
  std::vector<T> values(count, T{});
  fill(values.data());
  ctx.upload(buffer, values.data(), count * sizeof(T));
  return buffer;
}

// Cpu variant: panel p = col / panel_width, lane stream l = (col % panel_width) / 4, and within
// the stream 4 weights per k (see linear.h). Gpu variant: row-major [N, row_length].
struct PackedPosition {
  bool panels = false;
  int panel_width = 0;
  size_t lane_stride = 0;
  int row_length = 0;
  size_t operator()(int col, int kk) const {
    if (panels) {
      const size_t stream = static_cast<size_t>(col / 4);  // = panel · (panel_width / 4) + lane
      return stream * lane_stride + static_cast<size_t>(kk) * 4 + col % 4;
    }
    return static_cast<size_t>(col) * row_length + kk;
  }
};

}  // namespace

uint64_t PackedWeight::bytes() const { return weight.size() + (bias ? bias.size() : 0); }

PackedWeight pack_linear(vk::Context& ctx, const float* w, const float* bias, int n, int k, WeightLayout layout,
                         WeightType type, vk::KernelVariant variant, WeightFetch fetch) {
  if (!w) throw Error("src/kernels/linear_pack.cpp: pack_linear: weight pointer is null");
  if (n < 1 || k < 1)
    throw Error("src/kernels/linear_pack.cpp: pack_linear: weight shape n=" + std::to_string(n) +
                " k=" + std::to_string(k) + " must be at least 1x1");
  PackedWeight packed;
  packed.n = n;
  packed.k = k;
  packed.type = type;
  packed.variant = variant;

  // Position of W[col, kk] in the packed array, and its element count.
  size_t count = 0;
  PackedPosition position;
  if (variant == vk::KernelVariant::Cpu) {
    const vk::DeviceInfo& info = ctx.info();
    if (!info.supports_cpu_variant() || info.subgroup_size < 8)
      throw Error("src/kernels/linear_pack.cpp: the Cpu linear variant needs buffer device address, int64, "
                  "subgroup ballot and a subgroup size of 8..64; device '" + info.name + "' has subgroup size " +
                  std::to_string(info.subgroup_size));
    const int pw = 4 * static_cast<int>(info.subgroup_size);
    packed.panel_width = pw;
    packed.k_padded = round_up(k, 8);
    // One cache line (64 bytes) of skew between lane streams: 4·Kp weights are often a multiple
    // of 4 KiB, which would put every stream of a panel in the same L1 set.
    packed.lane_stride = 4 * packed.k_padded + (type == WeightType::F16 ? 32 : 16);
    const int panels = (n + pw - 1) / pw;
    count = static_cast<size_t>(panels) * (pw / 4) * packed.lane_stride;
    position = {true, pw, static_cast<size_t>(packed.lane_stride), 0};
  } else {
    packed.k_padded = type == WeightType::F16 ? round_up(k, 2) : k;
    count = static_cast<size_t>(n) * packed.k_padded;
    position = {false, 0, 0, packed.k_padded};
  }

  if (type == WeightType::F32) {
    packed.weight = pack_into_device<float>(ctx, count, [&](float* values) {
      for_each_weight(w, n, k, layout, [&](int col, int kk, float v) { values[position(col, kk)] = v; });
    });
  } else {
    // Padded to a multiple of 4 halves: the Cpu kernel reads them as uint64.
    packed.weight = pack_into_device<uint16_t>(ctx, (count + 3) / 4 * 4, [&](uint16_t* values) {
      for_each_weight(w, n, k, layout, [&](int col, int kk, float v) { values[position(col, kk)] = float_to_half(v); });
    });
  }
  if (bias) packed.bias = ctx.upload_vector<float>(std::span<const float>(bias, static_cast<size_t>(n)));
  if (variant == vk::KernelVariant::Cpu && fetch == WeightFetch::Texels) {
    if (!ctx.info().texel_formats)
      throw Error("src/kernels/linear_pack.cpp: device '" + ctx.info().name + "' cannot read weights as texels");
    const VkFormat format = weight_texel_format(type);
    if (!packed.weight.fits_texel_view(format))
      throw Error("src/kernels/linear_pack.cpp: a " + std::to_string(n) + "x" + std::to_string(k) +
                  " weight has more texels than the device's maxTexelBufferElements (" +
                  std::to_string(ctx.info().max_texel_buffer_elements) + "); read weights as addresses (ContextOptions::weight_fetch; vkcap: VKCAP_WEIGHT_FETCH=addresses)");
    packed.weight.texel_view(format);  // created now, not while recording
    packed.fetch = WeightFetch::Texels;
  }
  return packed;
}

}  // namespace vkcap::kernels
