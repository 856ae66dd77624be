// The fused epilogue of the linear kernels: y = act(acc + bias) (+ residual).
// ACT: 0 none, 1 GELU with erf (nn.GELU(), BLIP, ViT), 2 GELU with tanh ("gelu_new", GPT-2).
// The GELU forms are the ones the standalone GELU kernel uses (gelu.glsl), so a fused and an
// unfused GELU give the same bits.
#include "gelu.glsl"

float activate(float v, uint act) {
  if (act == 1u) return vkcap_gelu_erf(v);
  if (act == 2u) return vkcap_gelu_tanh(v);
  return v;
}
