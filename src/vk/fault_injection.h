#pragma once
// Fault injection for tests of what the tools do when the GPU fails: a real device loss cannot
// be provoked on demand (least of all on lavapipe), so ContextOptions::fault_injection (the vkcap
// tool maps VKCAP_FAULT_INJECT onto it) makes a chosen queue submission fail exactly as the
// driver would report it. Off, it costs one comparison per submission.
//   device-lost@N    submission N (1-based) and every later one: VK_ERROR_DEVICE_LOST
//   submit-error@N   submission N only: VK_ERROR_UNKNOWN (a transient failure)
//   validation-message@N   submission N goes ahead, but first a message is sent through the
//       validation messenger (vkSubmitDebugUtilsMessageEXT), as the layer would for a real
//       mistake: proves that the tests which watch for validation messages see them.
#include <vulkan/vulkan.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "vk/instance.h"

namespace vkcap::vk {

class FaultInjector {
 public:
  // `spec` as above, or empty for none; throws vkcap::Error on a malformed value.
  explicit FaultInjector(const std::string& spec = {});

  // Called before every vkQueueSubmit: VK_SUCCESS, or the result to report instead of submitting.
  // validation-message@N sends its message through `instance` here.
  VkResult before_submit(Instance& instance);

 private:
  enum class Kind { None, DeviceLost, SubmitError, ValidationMessage };
  Kind kind_ = Kind::None;
  uint64_t at_ = 0;
  std::atomic<uint64_t> submits_{0};
};

}  // namespace vkcap::vk
