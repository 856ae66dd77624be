// src/kernels/linear_host.h  (large matrix products through the host's BLAS, on a CPU device)
#pragma once
// When the Vulkan device is the CPU itself (lavapipe), its buffers are host memory, mapped. A
// matrix product with many rows (an image encoder's) then runs faster through OpenBLAS on that
// memory than through the shader compiler's code: on a 2-core AVX-512 EPYC, OpenBLAS sgemm
// reaches 130–180 GFLOP/s where lavapipe's best matmul reaches 20–30 (docs/performance.md).
// Such a product becomes a host step of the recording (vk::Recorder::host): the GPU work
// before it is submitted and waited for, the host multiplies, the GPU work after it follows.
// The work around such products has host steps of its own (attention_host.h, host_ops.h; the
// decode step's products: matvec_host.h). Real GPUs never take any of it.
#include <cstdint>
#include <vector>

#include "kernels/linear.h"

namespace vkcap::kernels {

// A weight kept in host memory for sgemm: fp32 as given, or fp16 halves (OpenBLAS has no fp16
// product; each call widens the halves into a scratch matrix first).
struct HostWeight {
  std::vector<float> f32;      // n·k floats in `layout` (fp32 weights)
  std::vector<uint16_t> f16;   // n·k halves in `layout` (fp16 weights)
  std::vector<float> bias;     // n floats, or empty
  WeightLayout layout = WeightLayout::OutIn;
};

// Whether products with many rows go to the host on this device: a CPU device whose memory is
// host-visible, unless ContextOptions::host_products switched it off.
bool host_products_enabled(const vk::Context& ctx);

// The host's view of a buffer on such a device: its mapped floats from the ref's offset on
// (throws when the buffer is not mapped).
float* mapped_floats(const BufferRef& ref);

// While alive, OpenBLAS runs single-threaded: host steps split their products over the host pool
// (kernels/host_pool.h) themselves, so that each row block's epilogue follows its sgemm while the
// block is in cache and no OpenBLAS worker spins beside the pool's threads. OpenBLAS's thread
// count is process-wide, so the count found by the first of the holders alive at once is
// restored when the last one ends.
class SingleThreadedBlas {
 public:
  SingleThreadedBlas();
  ~SingleThreadedBlas();
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;
};

// Bytes of host memory held by host-product weights alive in this process (`vkcap info --load`
// reports them beside the device memory).
uint64_t host_weight_bytes_in_use();

// A weight for host products (the device holds no copy of it). Same arguments as pack_linear.
PackedWeight pack_linear_host(const float* w, const float* bias, int n, int k, WeightLayout layout, WeightType type);

// Where a layer whose products have many rows (an encoder's) keeps its weight: on the host
// where host_products_enabled, else packed for the device's kernels.
PackedWeight pack_linear_for_encoder(vk::Context& ctx, const float* w, const float* bias, int n, int k,
                                     WeightLayout layout, WeightType type);

// Records y = act(x·W + b) (+ residual) as a host step (strides already resolved, args checked
// by record_linear; args.norm already applied).
void record_linear_host(vk::Recorder& rec, const LinearArgs& args, int x_stride, int y_stride, int residual_stride);

}  // namespace vkcap::kernels
