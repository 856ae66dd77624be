#pragma once
// Fault injection for tests of what the tools do when the GPU fails: a real device loss cannot
// be provoked on demand (least of all on lavapipe), so VKCAP_FAULT_INJECT makes a chosen queue
// submission fail exactly as the driver would report it. Unset, it costs one counter increment.
//   VKCAP_FAULT_INJECT=device-lost@N    submission N (1-based) and every later one: VK_ERROR_DEVICE_LOST
//   VKCAP_FAULT_INJECT=submit-error@N   submission N only: VK_ERROR_UNKNOWN (a transient failure)
//   VKCAP_FAULT_INJECT=validation-message@N   submission N goes ahead, but first a message is
//       sent through the validation messenger (vkSubmitDebugUtilsMessageEXT), as the layer would
//       for a real mistake: proves that the tests which watch for validation messages see them.
#include <vulkan/vulkan.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "vk/instance.h"

namespace vkcap::vk {

class FaultInjector {
 public:
  // Parses VKCAP_FAULT_INJECT; throws vkcap::Error on a malformed value.
  FaultInjector();
  explicit FaultInjector(const std::string& spec);

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
