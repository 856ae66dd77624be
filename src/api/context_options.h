#pragma once
// The device part of CaptionerOptions as the Vulkan layer's options: the one mapping, used by the
// engine and by the tool for commands that open a device without a model (bench, info, selftest).
#include "vk/context.h"
#include "vkcap/captioner.h"

namespace vkcap::api {

vk::ContextOptions context_options(const CaptionerOptions& options);

}  // namespace vkcap::api
