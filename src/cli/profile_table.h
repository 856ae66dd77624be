#pragma once
// The --profile table: GPU time per kernel, most expensive first.
#include <cstdio>

#include "vk/recorder.h"

namespace vkcap::cli {

void print_profile(const vk::Profile& profile, std::FILE* out);

}  // namespace vkcap::cli
