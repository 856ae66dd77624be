#include "vk/check.h"

#include <string>

#include "util/error.h"

namespace vkcap::vk {

const char* result_name(VkResult result) {
  switch (result) {
#define VKCAP_RESULT(r) \
  case r:               \
    return #r;
    VKCAP_RESULT(VK_SUCCESS)
    VKCAP_RESULT(VK_NOT_READY)
    VKCAP_RESULT(VK_TIMEOUT)
    VKCAP_RESULT(VK_INCOMPLETE)
    VKCAP_RESULT(VK_ERROR_OUT_OF_HOST_MEMORY)
    VKCAP_RESULT(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    VKCAP_RESULT(VK_ERROR_INITIALIZATION_FAILED)
    VKCAP_RESULT(VK_ERROR_DEVICE_LOST)
    VKCAP_RESULT(VK_ERROR_MEMORY_MAP_FAILED)
    VKCAP_RESULT(VK_ERROR_LAYER_NOT_PRESENT)
    VKCAP_RESULT(VK_ERROR_EXTENSION_NOT_PRESENT)
    VKCAP_RESULT(VK_ERROR_FEATURE_NOT_PRESENT)
    VKCAP_RESULT(VK_ERROR_INCOMPATIBLE_DRIVER)
    VKCAP_RESULT(VK_ERROR_TOO_MANY_OBJECTS)
    VKCAP_RESULT(VK_ERROR_FORMAT_NOT_SUPPORTED)
    VKCAP_RESULT(VK_ERROR_FRAGMENTED_POOL)
    VKCAP_RESULT(VK_ERROR_OUT_OF_POOL_MEMORY)
    VKCAP_RESULT(VK_ERROR_INVALID_EXTERNAL_HANDLE)
    VKCAP_RESULT(VK_ERROR_FRAGMENTATION)
    VKCAP_RESULT(VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS)
    VKCAP_RESULT(VK_PIPELINE_COMPILE_REQUIRED)
    VKCAP_RESULT(VK_ERROR_UNKNOWN)
#undef VKCAP_RESULT
    default:
      return "VkResult(unknown)";
  }
}

void check(VkResult result, std::string_view call) {
  if (result >= 0) return;
  std::string where = std::string(call) + " failed: " + result_name(result);
  switch (result) {
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
      throw OutOfMemoryError(where + " (the GPU is out of memory; try a smaller --batch or fp16 weights)");
    case VK_ERROR_OUT_OF_HOST_MEMORY:
      throw OutOfMemoryError(where + " (the system is out of memory)");
    case VK_ERROR_DEVICE_LOST:
      throw DeviceLostError(where + " (the GPU device was lost: driver crash, reset or timeout)");
    default:
      throw Error(where);
  }
}

}  // namespace vkcap::vk
