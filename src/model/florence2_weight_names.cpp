#include "model/florence2_weight_names.h"

namespace vkcap::model {

namespace {

bool native(const Florence2WeightNames& n) { return n.layout == Florence2Layout::Native; }

std::string projector(const Florence2WeightNames& n) { return native(n) ? "model.multi_modal_projector." : ""; }

}  // namespace

Florence2Layout detect_florence2_layout(const std::function<bool(const std::string&)>& has) {
  return has("model.vision_tower.convs.0.conv.weight") ? Florence2Layout::Native : Florence2Layout::Microsoft;
}

std::string Florence2WeightNames::conv(int stage) const {
  const std::string base = (native(*this) ? "model.vision_tower.convs." : "vision_tower.convs.") + std::to_string(stage);
  return base + (native(*this) ? ".conv" : ".proj");
}

std::string Florence2WeightNames::conv_norm(int stage) const {
  return (native(*this) ? "model.vision_tower.convs." : "vision_tower.convs.") + std::to_string(stage) + ".norm";
}

Florence2WeightNames::BlockHalf Florence2WeightNames::block(int stage, int index, bool spatial) const {
  const std::string p = (native(*this) ? "model.vision_tower.blocks." : "vision_tower.blocks.") +
                        std::to_string(stage) + "." + std::to_string(index) +
                        (spatial ? ".spatial_block." : ".channel_block.");
  const std::string attn = p + (spatial ? "window_attn." : "channel_attn.");
  BlockHalf h;
  if (native(*this)) {
    h.conv1 = p + "conv1", h.conv2 = p + "conv2";
    h.attn_norm = p + "norm1", h.qkv = attn + "qkv", h.proj = attn + "proj";
    h.ffn_norm = p + "norm2", h.fc1 = p + "ffn.fc1", h.fc2 = p + "ffn.fc2";
  } else {
    h.conv1 = p + "conv1.fn.dw", h.conv2 = p + "conv2.fn.dw";
    h.attn_norm = attn + "norm", h.qkv = attn + "fn.qkv", h.proj = attn + "fn.proj";
    h.ffn_norm = p + "ffn.norm", h.fc1 = p + "ffn.fn.net.fc1", h.fc2 = p + "ffn.fn.net.fc2";
  }
  return h;
}

std::string Florence2WeightNames::image_projection() const {
  return projector(*this) + (native(*this) ? "image_projection.weight" : "image_projection");
}

std::string Florence2WeightNames::image_proj_norm() const { return projector(*this) + "image_proj_norm"; }

std::string Florence2WeightNames::pos_embed_rows() const {
  return projector(*this) + (native(*this) ? "image_position_embed" : "image_pos_embed") + ".row_embeddings.weight";
}

std::string Florence2WeightNames::pos_embed_columns() const {
  return projector(*this) + (native(*this) ? "image_position_embed" : "image_pos_embed") + ".column_embeddings.weight";
}

std::string Florence2WeightNames::temporal_table() const {
  return projector(*this) + "visual_temporal_embed.pos_idx_to_embed";
}

std::string Florence2WeightNames::language_model() const {
  return native(*this) ? "model.language_model." : "language_model.model.";
}

std::string Florence2WeightNames::lm_head() const {
  return native(*this) ? "lm_head.weight" : "language_model.lm_head.weight";
}

std::string Florence2WeightNames::final_logits_bias() const {
  return native(*this) ? "" : "language_model.final_logits_bias";
}

}  // namespace vkcap::model
