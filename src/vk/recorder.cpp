#include "vk/recorder.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "util/error.h"
#include "vk/check.h"
#include "vk/context.h"

namespace vkcap::vk {

namespace {

constexpr uint8_t kWritten = 1, kRead = 2;
constexpr uint32_t kSetsPerPool = 256;
constexpr uint32_t kMaxQueries = 8192;
constexpr VkPipelineStageFlags kWorkStages = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
constexpr VkAccessFlags kWorkWrites = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
constexpr VkAccessFlags kWorkAccess = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                                      VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;

}  // namespace

Recorder::Recorder(Context& context) : context_(context) {
  VkCommandPoolCreateInfo pool{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pool.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pool.queueFamilyIndex = context_.info().compute_queue_family;
  check(vkCreateCommandPool(context_.device(), &pool, nullptr, &pool_), "vkCreateCommandPool");
  VkFenceCreateInfo fence{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  check(vkCreateFence(context_.device(), &fence, nullptr, &fence_), "vkCreateFence");
  if (context_.profiling()) {
    VkQueryPoolCreateInfo queries{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
    queries.queryType = VK_QUERY_TYPE_TIMESTAMP;
    queries.queryCount = kMaxQueries;
    check(vkCreateQueryPool(context_.device(), &queries, nullptr, &queries_), "vkCreateQueryPool");
  }
}

Recorder::~Recorder() {
  VkDevice device = context_.device();
  for (VkDescriptorPool p : descriptor_pools_) vkDestroyDescriptorPool(device, p, nullptr);
  if (queries_) vkDestroyQueryPool(device, queries_, nullptr);
  vkDestroyFence(device, fence_, nullptr);
  vkDestroyCommandPool(device, pool_, nullptr);
}

void Recorder::begin_if_needed() {
  if (ended_) throw Error("internal: recording into a command buffer that was already submitted; call reset() first");
  if (recording_) return;
  VkCommandBufferAllocateInfo allocate{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  allocate.commandPool = pool_;
  allocate.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  allocate.commandBufferCount = 1;
  check(vkAllocateCommandBuffers(context_.device(), &allocate, &commands_), "vkAllocateCommandBuffers");
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  check(vkBeginCommandBuffer(commands_, &begin), "vkBeginCommandBuffer");
  recording_ = true;
  const bool first = std::none_of(pieces_.begin(), pieces_.end(), [](const Piece& p) { return p.commands; });
  if (queries_ && first) vkCmdResetQueryPool(commands_, queries_, 0, kMaxQueries);
  // Order this submission after whatever earlier submissions (and host steps, which finish
  // before the next submission) wrote: a replayed buffer reads what the previous replay produced.
  VkMemoryBarrier memory{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  memory.srcAccessMask = kWorkWrites;
  memory.dstAccessMask = kWorkAccess;
  vkCmdPipelineBarrier(commands_, kWorkStages, kWorkStages, 0, 1, &memory, 0, nullptr, 0, nullptr);
}

void Recorder::barrier() {
  pending_.clear();
  if (omit_barriers_) return;
  VkMemoryBarrier memory{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  memory.srcAccessMask = kWorkAccess;
  memory.dstAccessMask = kWorkAccess;
  vkCmdPipelineBarrier(commands_, kWorkStages, kWorkStages, 0, 1, &memory, 0, nullptr, 0, nullptr);
  ++barriers_;
}

void Recorder::track(const Use* uses, size_t count) {
  bool needed = false;
  for (size_t i = 0; i < count && !needed; ++i) {
    auto it = pending_.find(uses[i].buffer->handle());
    if (it == pending_.end()) continue;
    const bool writes = uses[i].access != Access::Read;
    // Read-after-write, write-after-write, write-after-read.
    if ((it->second & kWritten) || (writes && (it->second & kRead))) needed = true;
  }
  if (needed) barrier();
  for (size_t i = 0; i < count; ++i) {
    uint8_t& state = pending_[uses[i].buffer->handle()];
    state |= uses[i].access == Access::Read ? kRead : (uses[i].access == Access::Write ? kWritten : kRead | kWritten);
  }
}

VkDescriptorSet Recorder::allocate_set(const Kernel& kernel) {
  if (sets_left_ == 0) {
    const VkDescriptorPoolSize sizes[] = {{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kSetsPerPool * 8},
                                          {VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, kSetsPerPool * 2}};
    VkDescriptorPoolCreateInfo pool{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    pool.maxSets = kSetsPerPool;
    pool.poolSizeCount = 2;
    pool.pPoolSizes = sizes;
    VkDescriptorPool handle;
    check(vkCreateDescriptorPool(context_.device(), &pool, nullptr, &handle), "vkCreateDescriptorPool");
    descriptor_pools_.push_back(handle);
    sets_left_ = kSetsPerPool;
  }
  VkDescriptorSetLayout layout = kernel.set_layout();
  VkDescriptorSetAllocateInfo allocate{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  allocate.descriptorPool = descriptor_pools_.back();
  allocate.descriptorSetCount = 1;
  allocate.pSetLayouts = &layout;
  VkDescriptorSet set;
  check(vkAllocateDescriptorSets(context_.device(), &allocate, &set), "vkAllocateDescriptorSets");
  --sets_left_;
  return set;
}

void Recorder::write_timestamp(const std::string& name, bool start) {
  if (!queries_ || queries_used_ >= kMaxQueries) return;
  if (start) query_names_.push_back(name);
  vkCmdWriteTimestamp(commands_, start ? VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT : VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT,
                      queries_, queries_used_++);
}

void Recorder::dispatch(const Kernel& kernel, std::initializer_list<Use> uses, const void* push,
                        uint32_t push_bytes, uint32_t gx, uint32_t gy, uint32_t gz) {
  dispatch(kernel, std::vector<Use>(uses), push, push_bytes, gx, gy, gz);
}

void Recorder::dispatch(const Kernel& kernel, const std::vector<Use>& uses, const void* push,
                        uint32_t push_bytes, uint32_t gx, uint32_t gy, uint32_t gz) {
  const KernelSpec& spec = kernel.spec();
  if (push_bytes != spec.push_bytes)
    throw Error("internal: kernel " + spec.shader + " takes " + std::to_string(spec.push_bytes) +
                " push-constant bytes, got " + std::to_string(push_bytes));
  std::vector<VkDescriptorBufferInfo> infos;
  std::vector<VkBufferView> views;
  for (const Use& use : uses) {
    if (!use.bound) continue;
    if (use.view) {
      views.push_back(use.view);
      continue;
    }
    const uint64_t range = use.range ? use.range : use.buffer->size() - use.offset;
    if (use.offset + range > use.buffer->size())
      throw Error("internal: kernel " + spec.shader + " binds a window past the end of a buffer");
    if (range > context_.info().max_storage_buffer_range)
      throw Error("kernel " + spec.shader + ": a " + std::to_string(range) +
                  "-byte buffer exceeds the device's maxStorageBufferRange (" +
                  std::to_string(context_.info().max_storage_buffer_range) + " bytes)");
    infos.push_back({use.buffer->handle(), use.offset, use.range ? use.range : VK_WHOLE_SIZE});
  }
  if (infos.size() != spec.buffers || views.size() != spec.texel_buffers)
    throw Error("internal: kernel " + spec.shader + " binds " + std::to_string(spec.buffers) + " buffers and " +
                std::to_string(spec.texel_buffers) + " texel buffers, got " + std::to_string(infos.size()) +
                " and " + std::to_string(views.size()));
  const auto& limits = context_.info().max_workgroup_count;
  if (gx > limits[0] || gy > limits[1] || gz > limits[2])
    throw Error("kernel " + spec.shader + ": grid " + std::to_string(gx) + "x" + std::to_string(gy) + "x" +
                std::to_string(gz) + " exceeds the device's workgroup-count limit");
  if (gx == 0 || gy == 0 || gz == 0) return;
  begin_if_needed();
  track(uses.data(), uses.size());

  vkCmdBindPipeline(commands_, VK_PIPELINE_BIND_POINT_COMPUTE, kernel.pipeline());
  if (spec.buffers + spec.texel_buffers > 0) {
    VkDescriptorSet set = allocate_set(kernel);
    std::vector<VkWriteDescriptorSet> writes(infos.size() + views.size());
    for (uint32_t b = 0; b < writes.size(); ++b) {
      writes[b] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
      writes[b].dstSet = set;
      writes[b].dstBinding = b;
      writes[b].descriptorCount = 1;
      if (b < infos.size()) {
        writes[b].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        writes[b].pBufferInfo = &infos[b];
      } else {
        writes[b].descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER;
        writes[b].pTexelBufferView = &views[b - infos.size()];
      }
    }
    vkUpdateDescriptorSets(context_.device(), static_cast<uint32_t>(writes.size()), writes.data(), 0, nullptr);
    vkCmdBindDescriptorSets(commands_, VK_PIPELINE_BIND_POINT_COMPUTE, kernel.layout(), 0, 1, &set, 0, nullptr);
  }
  if (push_bytes) vkCmdPushConstants(commands_, kernel.layout(), VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes, push);
  write_timestamp(spec.shader, true);
  vkCmdDispatch(commands_, gx, gy, gz);
  write_timestamp(spec.shader, false);
  ++dispatches_;
}

void Recorder::copy(const Buffer& src, const Buffer& dst, uint64_t bytes, uint64_t src_offset, uint64_t dst_offset) {
  if (src_offset + bytes > src.size() || dst_offset + bytes > dst.size())
    throw Error("internal: buffer copy of " + std::to_string(bytes) + " bytes out of range");
  begin_if_needed();
  Use uses[] = {{&src, Access::Read, false}, {&dst, Access::Write, false}};
  track(uses, 2);
  VkBufferCopy region{src_offset, dst_offset, bytes};
  vkCmdCopyBuffer(commands_, src.handle(), dst.handle(), 1, &region);
}

void Recorder::fill(const Buffer& dst, uint32_t value) {
  begin_if_needed();
  Use use{&dst, Access::Write, false};
  track(&use, 1);
  vkCmdFillBuffer(commands_, dst.handle(), 0, VK_WHOLE_SIZE, value);
}

void Recorder::host(const std::string& name, std::function<void()> step) {
  if (ended_) throw Error("internal: recording into a command buffer that was already submitted; call reset() first");
  if (!context_.allocator().device_is_host_visible())
    throw Error("internal: a host step needs device memory the host can map");
  end_commands();
  pieces_.push_back({VK_NULL_HANDLE, name, std::move(step)});
  pending_.clear();  // the next command buffer starts with a full barrier
  ++host_steps_;
}

void Recorder::end_commands() {
  if (!recording_) return;
  // Make the results visible to the host once the fence signals.
  VkMemoryBarrier memory{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  memory.srcAccessMask = kWorkWrites;
  memory.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  vkCmdPipelineBarrier(commands_, kWorkStages, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &memory, 0, nullptr, 0, nullptr);
  check(vkEndCommandBuffer(commands_), "vkEndCommandBuffer");
  pieces_.push_back({commands_, {}, {}});
  commands_ = VK_NULL_HANDLE;
  recording_ = false;
  pending_.clear();
}

void Recorder::submit_commands(VkCommandBuffer commands) {
  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &commands;
  check(vkResetFences(context_.device(), 1, &fence_), "vkResetFences");
  check(context_.faults().before_submit(context_.instance()), "vkQueueSubmit");
  check(vkQueueSubmit(context_.queue(), 1, &submit, fence_), "vkQueueSubmit");
  check(vkWaitForFences(context_.device(), 1, &fence_, VK_TRUE, UINT64_MAX), "vkWaitForFences");
}

void Recorder::run_host_step(const Piece& piece) {
  const auto start = std::chrono::steady_clock::now();
  piece.host();
  if (!context_.profiling()) return;
  KernelTime& t = context_.profile()[piece.host_name];
  ++t.calls;
  t.total_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

void Recorder::collect_timestamps() {
  if (!queries_ || queries_used_ == 0) return;
  std::vector<uint64_t> ticks(queries_used_);
  check(vkGetQueryPoolResults(context_.device(), queries_, 0, queries_used_, ticks.size() * 8, ticks.data(), 8,
                              VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT),
        "vkGetQueryPoolResults");
  const double ms_per_tick = context_.info().timestamp_period_ns * 1e-6;
  for (size_t q = 0; q + 1 < ticks.size(); q += 2) {
    KernelTime& t = context_.profile()[query_names_[q / 2]];
    ++t.calls;
    t.total_ms += static_cast<double>(ticks[q + 1] - ticks[q]) * ms_per_tick;
  }
}

void Recorder::submit() {
  if (!ended_) {
    end_commands();
    if (pieces_.empty()) return;  // nothing recorded
    ended_ = true;
  }
  for (const Piece& piece : pieces_) {
    if (piece.commands)
      submit_commands(piece.commands);
    else
      run_host_step(piece);
  }
  collect_timestamps();
}

void Recorder::reset() {
  if (commands_) pieces_.push_back({commands_, {}, {}});  // freed below, recording or not
  for (const Piece& piece : pieces_)
    if (piece.commands) vkFreeCommandBuffers(context_.device(), pool_, 1, &piece.commands);
  pieces_.clear();
  commands_ = VK_NULL_HANDLE;
  host_steps_ = 0;
  for (VkDescriptorPool p : descriptor_pools_) vkDestroyDescriptorPool(context_.device(), p, nullptr);
  descriptor_pools_.clear();
  sets_left_ = 0;
  queries_used_ = 0;
  query_names_.clear();
  recording_ = ended_ = false;
  dispatches_ = barriers_ = 0;
  pending_.clear();
}

}  // namespace vkcap::vk
