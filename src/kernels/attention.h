// src/kernels/attention.h
#pragma once
#include "kernels/buffer_ref.h"
#include "vk/recorder.h"
namespace vkcap::kernels {
enum class MaskKind { None, Causal, KeyPadding };
// How a masked score is treated; parity depends on it (docs/parity.md): BLIP adds -10000 to the
// score (additive mask), GPT-2 replaces the score with the fp32 minimum (torch.where).
enum class MaskMode { Add, Replace };
// O[b,i,h,:] = softmax_j(Q[b,i,h,:]·K[kb,j,h,:] * scale + mask(i,j)) · V[kb,j,h,:]
// for batch b (kb = b / kv_batch_divisor, so beams of one image share cross-attention K/V),
// query i < lq, key j < lk, head h < heads, head_dim d. Element (b,i,h,e) of Q lives at
// q.offset + b*q_batch_stride + i*q_row_stride + h*d + e (same pattern for K, V, O), so
// fused q|k|v buffers and KV caches are read in place.
struct AttentionArgs {
  BufferRef q, k, v, out;
  int batch = 1, kv_batch_divisor = 1;
  int lq = 0, lk = 0, heads = 1, head_dim = 0;
  int q_row_stride = 0, k_row_stride = 0, v_row_stride = 0, out_row_stride = 0;  // 0 = heads*head_dim
  int64_t q_batch_stride = 0, k_batch_stride = 0, v_batch_stride = 0, out_batch_stride = 0;
  float scale = 1.0f;
  MaskKind mask = MaskKind::None;
  int causal_offset = 0;  // Causal: query i is at absolute position causal_offset + i and sees keys j <= that
  BufferRef key_valid;    // KeyPadding: float per (kv batch, key), 1 = attend, 0 = masked; stride lk
  MaskMode mask_mode = MaskMode::Add;
  float masked_value = -10000.0f;  // Add: added to masked scores; Replace: replaces them
  BufferRef probs;        // optional: probabilities [batch, heads, lq, lk] written here
  // An encoder's attention on a CPU device whose products run on the host: two sgemms per
  // (batch, head) as a host step (attention_host.h). Only without mask and probs.
  bool on_host = false;
};
// Unmasked self-attention of `batch` sequences of `rows` tokens, reading q, k and v from one fused
// projection (rows of q|k|v, 3·heads·head_dim floats, from `qkv` on), scaled by 1/√head_dim;
// `out` gets heads·head_dim floats a row.
AttentionArgs fused_self_attention(BufferRef qkv, BufferRef out, int batch, int rows, int heads, int head_dim);
void record_attention(vk::Recorder& rec, const AttentionArgs& args,
                      vk::KernelVariant variant);  // explicit variant (tests)
void record_attention(vk::Recorder& rec, const AttentionArgs& args);  // device's preferred variant
double attention_flops(const AttentionArgs& args);
// KV cache rows: dst row r (of `rows`, each `row_elems` floats, stride `row_stride`) = src row parent[r].
// parent is an int32 buffer. Used to reorder caches by beam index; dst must not alias src.
void record_gather_rows(vk::Recorder& rec, BufferRef src, BufferRef dst, BufferRef parent_i32, int rows,
                        int64_t row_elems, int64_t row_stride);
}  // namespace vkcap::kernels
