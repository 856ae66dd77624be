#pragma once
// Florence-2's tensor names in the two layouts checkpoints come in:
//   Microsoft's (the hub code, `microsoft/Florence-2-*` and their fine-tunes):
//     vision_tower.convs.{i}.proj, ….spatial_block.conv1.fn.dw, ….window_attn.norm / .fn.qkv,
//     ….ffn.norm / .fn.net.fc1, image_projection ([in, out]), image_pos_embed.*,
//     language_model.model.{shared,encoder,decoder}.*, language_model.final_logits_bias
//   transformers' own port (≥ 4.56, `florence-community/*`):
//     model.vision_tower.convs.{i}.conv, ….spatial_block.conv1, ….norm1 / ….window_attn.qkv,
//     ….norm2 / ….ffn.fc1, model.multi_modal_projector.image_projection.weight ([out, in]),
//     ….image_position_embed.*, model.language_model.{shared,encoder,decoder}.*, lm_head.weight
//     and no final_logits_bias (its LM head has no bias).
// The math is the same; the layout is told apart by the first conv's name.
#include <functional>
#include <string>

namespace vkcap::model {

enum class Florence2Layout { Microsoft, Native };

// Which layout a checkpoint uses, from whether `has(name)` finds a native-only tensor.
Florence2Layout detect_florence2_layout(const std::function<bool(const std::string&)>& has);

struct Florence2WeightNames {
  Florence2Layout layout = Florence2Layout::Microsoft;

  // Stage i's ConvEmbed: "<conv(i)>.weight" / ".bias" and its LayerNorm "<conv_norm(i)>".
  std::string conv(int stage) const;
  std::string conv_norm(int stage) const;
  // Block j of stage i, its spatial or channel half: the prefixes of its parts.
  struct BlockHalf {
    std::string conv1, conv2;  // depthwise convs: "<conv1>.weight" / ".bias"
    std::string attn_norm, qkv, proj;
    std::string ffn_norm, fc1, fc2;
  };
  BlockHalf block(int stage, int index, bool spatial) const;

  // The projector. `image_projection_is_out_in`: stored [out, in] (native) rather than [in, out].
  std::string image_projection() const;
  bool image_projection_is_out_in() const { return layout == Florence2Layout::Native; }
  std::string image_proj_norm() const;
  std::string pos_embed_rows() const;
  std::string pos_embed_columns() const;
  std::string temporal_table() const;

  // The BART model's prefix ("…encoder.", "…decoder.", "…shared.weight" follow it).
  std::string language_model() const;
  // The LM head's tied copy, when a checkpoint stores it.
  std::string lm_head() const;
  // final_logits_bias, or "" when the layout has none.
  std::string final_logits_bias() const;
};

}  // namespace vkcap::model
