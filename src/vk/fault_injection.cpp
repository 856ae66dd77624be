#include "vk/fault_injection.h"

#include <cstdlib>

#include "util/error.h"

namespace vkcap::vk {

FaultInjector::FaultInjector(const std::string& spec) {
  if (spec.empty()) return;
  const size_t at = spec.find('@');
  const std::string kind = spec.substr(0, at);
  if (kind == "device-lost")
    kind_ = Kind::DeviceLost;
  else if (kind == "submit-error")
    kind_ = Kind::SubmitError;
  else if (kind == "validation-message")
    kind_ = Kind::ValidationMessage;
  const std::string number = at == std::string::npos ? "" : spec.substr(at + 1);
  char* end = nullptr;
  const unsigned long long n = number.empty() ? 0 : std::strtoull(number.c_str(), &end, 10);
  if (kind_ == Kind::None || n == 0 || *end != '\0')
    throw Error("fault injection '" + spec + "': expected device-lost@N, submit-error@N or validation-message@N (N >= 1)");
  at_ = n;
}

VkResult FaultInjector::before_submit(Instance& instance) {
  if (kind_ == Kind::None) return VK_SUCCESS;
  const uint64_t n = ++submits_;
  if (kind_ == Kind::DeviceLost && n >= at_) return VK_ERROR_DEVICE_LOST;
  if (kind_ == Kind::SubmitError && n == at_) return VK_ERROR_UNKNOWN;
  if (kind_ == Kind::ValidationMessage && n == at_)
    instance.send_test_message("injected by fault injection validation-message@N (a test of the watchers)");
  return VK_SUCCESS;
}

}  // namespace vkcap::vk
