#pragma once
// Whether the device gives pipelines the subgroups vkcap asked for: at a required subgroup size
// (ContextOptions::subgroup_size) every invocation must see gl_SubgroupSize equal to it, and
// with full subgroups every subgroup must have that many active invocations; at the default,
// gl_SubgroupSize must be the size the device reports (which the kernels are specialised for).
#include "checks/check_result.h"

namespace vkcap::checks {

CheckResult check_subgroup_size(const CheckRun& run);

}  // namespace vkcap::checks
