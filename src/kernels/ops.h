// src/kernels/ops.h  (element-wise and row-wise operations; split into several .cpp/.comp files by family)
#pragma once
#include "kernels/buffer_ref.h"
#include "vk/recorder.h"
namespace vkcap::kernels {
// y[r] = LayerNorm(x[r] (+ residual[r])) * gamma + beta, statistics in fp32 (two-pass or Welford; biased variance, eps inside sqrt like torch).
// rows of d floats with strides; residual optional (BLIP post-LN adds it before the norm). y may alias x.
struct LayerNormArgs { BufferRef x; int x_stride = 0; BufferRef residual; int residual_stride = 0;
                       BufferRef gamma, beta; BufferRef y; int y_stride = 0; int rows = 0, d = 0; float eps = 1e-5f;
                       bool on_host = false; };  // on_host: a host step (a CPU device; kernels/host_ops.h)
void record_layer_norm(vk::Recorder& rec, const LayerNormArgs& args);  // the device's preferred variant
void record_layer_norm(vk::Recorder& rec, const LayerNormArgs& args, vk::KernelVariant variant);
// Row softmax / log-softmax over n floats per row (in place allowed).
void record_softmax(vk::Recorder& rec, BufferRef x, BufferRef y, int rows, int n, bool log);
// Per row of n floats: stats[2r] = max, stats[2r+1] = Σ e^(x − max) — log-softmax's parts, so
// that the host turns a row's top-k logits into log-probabilities without the row.
void record_softmax_stats(vk::Recorder& rec, BufferRef x, int rows, int n, BufferRef stats);
// y = a + b, count floats (y may alias a or b).
void record_add(vk::Recorder& rec, BufferRef a, BufferRef b, BufferRef y, int64_t count);
// y[r, :] = table[ids[r], :] + positions[pos[r], :]   (ids, pos: int32 buffers; d floats per row; positions optional)
// Out-of-range ids/pos must not read out of bounds (clamp and write NaN? -> write zeros and document).
void record_embedding(vk::Recorder& rec, BufferRef table, int vocab, BufferRef ids_i32, BufferRef positions,
                      int max_positions, BufferRef pos_i32, BufferRef y, int rows, int d);
// (kernels/conv.h has the general strided, padded version and the tiled conv on top of it.)
// Patches of an image for a Conv2d with kernel = stride = p, no padding: pixels [3,H,W] (CHW floats)
// -> patches [(H/p)*(W/p), 3*p*p] in row-major patch order (y outer, x inner), each row ordered
// (c, ky, kx) like the flattened conv weight [D,3,p,p]. Then a linear layer gives the embeddings.
void record_im2col(vk::Recorder& rec, BufferRef pixels, int channels, int height, int width, int patch, BufferRef patches);
// Column means: y[c] = Σ_r x[r·x_stride + c] / rows for c < cols (x_stride 0 = cols; compensated sum).
void record_mean_rows(vk::Recorder& rec, BufferRef x, int rows, int cols, int x_stride, BufferRef y);
// Per row: the k largest values, sorted descending (ties: lower index first), k <= 64 -> values[r,k], indices[r,k] (int32).
void record_topk(vk::Recorder& rec, BufferRef x, int rows, int n, int k, BufferRef values, BufferRef indices_i32);
}  // namespace vkcap::kernels
