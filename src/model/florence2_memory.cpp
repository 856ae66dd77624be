#include "model/florence2_memory.h"

#include <algorithm>
#include <string>

#include "kernels/window_attention.h"
#include "util/error.h"

namespace vkcap::model {

namespace {

constexpr uint64_t kFloat = sizeof(float);

uint64_t blocks(uint64_t items, uint64_t per_block) { return (items + per_block - 1) / per_block; }

std::string stage_name(size_t i) { return "vision_tower stage " + std::to_string(i); }

}  // namespace

uint64_t Florence2MemoryPlan::largest_buffer_bytes() const {
  return kFloat * std::max({token_floats, scratch_floats, window_floats, channel_attn_floats});
}

uint64_t Florence2MemoryPlan::activation_bytes() const {
  return kFloat * (4 * token_floats + scratch_floats + window_floats + channel_attn_floats);
}

Florence2MemoryPlan plan_florence2_vision(const Florence2VisionConfig& config, int image_height, int image_width,
                                          uint64_t max_binding_bytes) {
  if (config.stages.empty()) throw Error("Florence-2 vision config has no stages");
  Florence2MemoryPlan plan;
  // Buffers a kernel binds whole stay below the limit; 256 bytes leave room for the alignment
  // slack of windowed bindings.
  const uint64_t binding_floats = (max_binding_bytes - 256) / kFloat;
  const uint64_t window_area = uint64_t(config.window_size) * config.window_size;
  int channels = config.in_channels, height = image_height, width = image_width;
  for (size_t i = 0; i < config.stages.size(); ++i) {
    const DavitStage& spec = config.stages[i];
    Florence2StagePlan st;
    st.conv = {channels, height, width, spec.patch_size, spec.patch_stride, spec.patch_padding,
               i == 0 ? kernels::ImageLayout::Chw : kernels::ImageLayout::Hwc};
    st.height = st.conv.out_height();
    st.width = st.conv.out_width();
    if (st.height < 1 || st.width < 1)
      throw Error(stage_name(i) + ": a " + std::to_string(height) + "x" + std::to_string(width) +
                  " input is too small for its " + std::to_string(spec.patch_size) + "x" +
                  std::to_string(spec.patch_size) + " patch conv");
    const uint64_t tokens = uint64_t(st.tokens()), d = uint64_t(spec.dim);
    // Channel attention reduces over every token: a stage's q/k/v is bound whole.
    if (tokens * 3 * d > binding_floats)
      throw Error(stage_name(i) + ": the channel attention's q/k/v (" + std::to_string(tokens) + " tokens x " +
                  std::to_string(3 * d) + " floats) exceed one storage binding (" +
                  std::to_string(max_binding_bytes) + " bytes); use a smaller image size");
    const kernels::WindowGrid grid{st.height, st.width, config.window_size};
    plan.token_floats = std::max({plan.token_floats, tokens * d, uint64_t(st.conv.height) * st.conv.width * channels});
    plan.scratch_floats = std::max({plan.scratch_floats, tokens * 3 * d, uint64_t(st.conv.patch_len()),
                                    uint64_t(config.mlp_ratio) * d, window_area * 3 * d});
    plan.window_floats = std::max(plan.window_floats, uint64_t(grid.windows()) * window_area * d);
    plan.channel_attn_floats = std::max(plan.channel_attn_floats, d * (d / spec.groups));
    plan.stages.push_back(st);
    channels = spec.dim, height = st.height, width = st.width;
  }
  if (plan.token_floats > binding_floats)
    throw Error("vision_tower: " + std::to_string(plan.token_floats * kFloat) +
                " bytes of token rows exceed one storage binding (" + std::to_string(max_binding_bytes) +
                " bytes); use a smaller image size");
  plan.scratch_floats = std::min(plan.scratch_floats, binding_floats);
  plan.window_floats = std::min(plan.window_floats, binding_floats);
  // The blocks each stage then runs in (the kernels derive the same numbers from the buffers).
  for (size_t i = 0; i < plan.stages.size(); ++i) {
    Florence2StagePlan& st = plan.stages[i];
    const uint64_t d = uint64_t(config.stages[i].dim), tokens = uint64_t(st.tokens());
    st.conv_blocks = int(blocks(tokens, plan.scratch_floats / uint64_t(st.conv.patch_len())));
    st.mlp_blocks = int(blocks(tokens, plan.scratch_floats / (uint64_t(config.mlp_ratio) * d)));
    const kernels::WindowGrid grid{st.height, st.width, config.window_size};
    const uint64_t per_chunk = std::min(plan.window_floats / (window_area * d), plan.scratch_floats / (window_area * 3 * d));
    st.window_chunks = int(blocks(uint64_t(grid.windows()), per_chunk));
  }
  return plan;
}

}  // namespace vkcap::model
