#pragma once
// The SPIR-V of every shaders/*.comp (and declared variant), embedded at build time by
// cmake/Shaders.cmake.
#include <cstdint>
#include <span>
#include <string_view>

namespace vkcap::shaders {

// Empty span when no shader of that name was built.
std::span<const uint32_t> find(std::string_view name);

}  // namespace vkcap::shaders
