#pragma once
// The --profile table: GPU time per kernel, most expensive first.
#include <cstdio>

#include "vk/recorder.h"

namespace vkcap::cli {

void print_profile(const vk::Profile& profile, std::FILE* out);
// What `later` accumulated since the snapshot `earlier` (kernels without new calls dropped).
vk::Profile profile_difference(const vk::Profile& later, const vk::Profile& earlier);
void add_profile(vk::Profile& into, const vk::Profile& more);

}  // namespace vkcap::cli
