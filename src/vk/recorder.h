#pragma once
// Records many dispatches into one command buffer with exactly the barriers they need, then
// submits and waits on a fence. A recorded buffer can be submitted again and again (record
// once, submit many): the decoder step is recorded once and replayed for every token.
//
// Barriers are derived, not written by hand: every dispatch declares what it reads and writes
// (descriptor-bound buffers, and buffers it reaches through device addresses). A barrier is
// inserted before a dispatch exactly when it reads or writes something written since the last
// barrier, or writes something read since then.
//
// A recording may also hold host steps (host()): work done by the CPU between two stretches
// of GPU work, on buffers it reaches through their mapped memory. Used where the Vulkan device
// is the CPU itself and a host library does a job better than its shader compiler (large
// matrix products through BLAS, kernels/linear_host.h). The command buffer recorded so far ends
// at a host step; submit() runs the pieces in order, waiting for each GPU piece.
#include <vulkan/vulkan.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "vk/kernel.h"
#include "vk/memory.h"

namespace vkcap::vk {

class Context;

enum class Access { Read, Write, ReadWrite };

// One buffer a dispatch touches. `bound` buffers become descriptors at consecutive bindings:
// storage buffers first, then uniform texel buffers (uses with a `view`), each kind in the
// order given; unbound ones are reached through device addresses in push constants and only
// count for barriers.
struct Use {
  const Buffer* buffer = nullptr;
  Access access = Access::Read;
  bool bound = true;
  // Bound buffers: the window the shader sees (bytes); range 0 = to the end of the buffer. Lets a
  // kernel walk a tensor larger than maxStorageBufferRange one window at a time.
  uint64_t offset = 0, range = 0;
  VkBufferView view = VK_NULL_HANDLE;  // set: bound as a uniform texel buffer through this view
};
inline Use reads_window(const Buffer& b, uint64_t offset, uint64_t range) {
  return {&b, Access::Read, true, offset, range};
}
inline Use reads(const Buffer& b) { return {&b, Access::Read, true}; }
inline Use writes(const Buffer& b) { return {&b, Access::Write, true}; }
inline Use updates(const Buffer& b) { return {&b, Access::ReadWrite, true}; }
inline Use reads_texels(const Buffer& b, VkFormat format) { return {&b, Access::Read, true, 0, 0, b.texel_view(format)}; }
inline Use reads_address(const Buffer& b) { return {&b, Access::Read, false}; }
inline Use writes_address(const Buffer& b) { return {&b, Access::Write, false}; }
inline Use updates_address(const Buffer& b) { return {&b, Access::ReadWrite, false}; }

struct KernelTime {
  uint64_t calls = 0;
  double total_ms = 0;
};
// Per-kernel GPU time, accumulated over every profiled submit.
using Profile = std::map<std::string, KernelTime>;

class Recorder {
 public:
  explicit Recorder(Context& context);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Records one dispatch of `groups` workgroups. `push` is copied now.
  void dispatch(const Kernel& kernel, std::initializer_list<Use> uses, const void* push, uint32_t push_bytes,
                uint32_t groups_x, uint32_t groups_y = 1, uint32_t groups_z = 1);
  template <typename Push>
  void dispatch(const Kernel& kernel, std::initializer_list<Use> uses, const Push& push, uint32_t gx,
                uint32_t gy = 1, uint32_t gz = 1) {
    dispatch(kernel, uses, &push, sizeof(Push), gx, gy, gz);
  }
  void dispatch(const Kernel& kernel, const std::vector<Use>& uses, const void* push, uint32_t push_bytes,
                uint32_t groups_x, uint32_t groups_y = 1, uint32_t groups_z = 1);
  // Buffer-to-buffer copy and fill, tracked like dispatches.
  void copy(const Buffer& src, const Buffer& dst, uint64_t bytes, uint64_t src_offset = 0, uint64_t dst_offset = 0);
  void fill(const Buffer& dst, uint32_t value);
  // Runs `step` on the host after everything recorded before it and before everything recorded
  // after it, at every submit(). The buffers it touches must be mapped (device_is_host_visible)
  // and must outlive the recording, like those of dispatches. `name` labels it in profiles.
  void host(const std::string& name, std::function<void()> step);

  // Ends recording (if still open), submits, and waits. Can be called repeatedly.
  void submit();
  // Discards everything recorded; the recorder can be used again.
  void reset();
  Context& context() { return context_; }
  size_t dispatch_count() const { return dispatches_; }
  size_t host_step_count() const { return host_steps_; }
  size_t barrier_count() const { return barriers_; }

  // For the test that proves the validation harness catches a missing barrier.
  void omit_barriers_for_testing(bool omit) { omit_barriers_ = omit; }

 private:
  // One piece of the recording: a command buffer, or a host step.
  struct Piece {
    VkCommandBuffer commands = VK_NULL_HANDLE;
    std::string host_name;
    std::function<void()> host;
  };
  void begin_if_needed();
  void end_commands();
  void submit_commands(VkCommandBuffer commands);
  void run_host_step(const Piece& piece);
  void collect_timestamps();
  void track(const Use* uses, size_t count);
  void barrier();
  void write_timestamp(const std::string& name, bool start);
  VkDescriptorSet allocate_set(const Kernel& kernel);

  Context& context_;
  VkCommandPool pool_ = VK_NULL_HANDLE;
  VkCommandBuffer commands_ = VK_NULL_HANDLE;  // the command buffer being recorded
  std::vector<Piece> pieces_;                  // ended command buffers and host steps, in order
  VkFence fence_ = VK_NULL_HANDLE;
  std::vector<VkDescriptorPool> descriptor_pools_;
  uint32_t sets_left_ = 0;
  VkQueryPool queries_ = VK_NULL_HANDLE;
  uint32_t queries_used_ = 0;
  std::vector<std::string> query_names_;
  bool recording_ = false;
  bool ended_ = false;
  bool omit_barriers_ = false;
  size_t dispatches_ = 0;
  size_t barriers_ = 0;
  size_t host_steps_ = 0;
  // Per VkBuffer: written / read since the last barrier.
  std::unordered_map<VkBuffer, uint8_t> pending_;
};

}  // namespace vkcap::vk
