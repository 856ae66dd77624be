#pragma once
// Every Vulkan call that can fail goes through check(): a failure becomes a vkcap::Error that
// names the call and the VkResult, with plain words for out-of-memory and device-lost.
#include <vulkan/vulkan.h>

#include <string_view>

namespace vkcap::vk {

const char* result_name(VkResult result);

// Throws OutOfMemoryError, DeviceLostError or Error; returns normally for VK_SUCCESS and the
// other non-error codes (VK_INCOMPLETE, VK_TIMEOUT...), which callers inspect themselves.
void check(VkResult result, std::string_view call);

}  // namespace vkcap::vk
