#pragma once
// The ViT image encoder shared by BLIP and ViT-GPT2 (pre-LayerNorm transformer):
//   h = [cls; patches·Wp + bp] + pos
//   per layer: h += proj(Attn(LN1(h)));  h += fc2(act(fc1(LN2(h))))
//   out = LN_final(h)                      -> image tokens [1 + (image/patch)², D]
// The two checkpoints differ only in weight names (and ViT's separate q/k/v, stacked here into
// one qkv projection at load time).
#include <vector>

#include "kernels/attention.h"
#include "kernels/linear.h"
#include "kernels/ops.h"
#include "model/weight_loader.h"

namespace vkcap::model {

enum class VisionNaming { Blip, Vit };

struct VisionSpec {
  int hidden = 768, heads = 12, layers = 12, mlp = 3072;
  int image_size = 384, patch = 16, channels = 3;
  float eps = 1e-5f;
  kernels::Activation activation = kernels::Activation::GeluErf;
  int grid() const { return image_size / patch; }
  int tokens() const { return grid() * grid() + 1; }
};

class VisionEncoder {
 public:
  VisionEncoder(const WeightLoader& weights, const VisionSpec& spec, VisionNaming naming);

  const VisionSpec& spec() const { return spec_; }
  // Records the encoder for one image: pixels [3, H, W] (CHW floats) -> out [tokens, hidden].
  void record(vk::Recorder& rec, kernels::BufferRef pixels, kernels::BufferRef out);
  // Floating-point work of one image, for benchmarks.
  double flops() const;

 private:
  struct Layer {
    LayerNormWeights ln1, ln2;
    kernels::PackedWeight qkv, proj, fc1, fc2;
  };
  VisionSpec spec_;
  kernels::PackedWeight patch_embed_;
  vk::Buffer cls_, position_;
  std::vector<Layer> layers_;
  LayerNormWeights final_ln_;
  // Scratch, sized for one image.
  vk::Buffer patches_, h_, normed_, qkv_, attended_, mlp_;
};

}  // namespace vkcap::model
