#include "checks/subgroup_checks.h"

#include <algorithm>
#include <string>
#include <vector>

#include "vk/recorder.h"

namespace vkcap::checks {

CheckResult check_subgroup_size(const CheckRun& run) {
  vk::Context& ctx = run.ctx;
  const vk::DeviceInfo& info = ctx.info();
  // A workgroup of several subgroups at every size the device allows (4..128 on real GPUs).
  const uint32_t workgroup = std::max(64u, 2 * info.max_subgroup_size);
  const uint32_t groups = 3, invocations = workgroup * groups;
  const uint32_t size = info.subgroup_size;  // the required size when one is set
  const bool full = info.required_subgroup_size && info.compute_full_subgroups;

  CheckResult r;
  r.family = "subgroup_size";
  r.shape = std::to_string(groups) + " workgroups of " + std::to_string(workgroup) + ", " +
            (info.required_subgroup_size ? "required" : "default") + " size " + std::to_string(size) +
            (full ? ", full subgroups" : "");
  vk::Buffer out = ctx.create_buffer(uint64_t(invocations) * 2 * sizeof(uint32_t));
  vk::Recorder recorder(ctx);
  recorder.fill(out, 0);
  const void* no_push_constants = nullptr;
  recorder.dispatch(ctx.kernel({"subgroup_size", 1, 0, {workgroup}}), {vk::writes(out)}, no_push_constants, 0u, groups);
  recorder.submit();
  std::vector<int32_t> got(size_t(invocations) * 2), sizes(invocations), lanes(invocations);
  ctx.download(out, got.data(), got.size() * sizeof(int32_t));
  for (uint32_t i = 0; i < invocations; ++i) {
    sizes[i] = got[2 * i];
    lanes[i] = got[2 * i + 1];
  }
  run.compare_exact(r, sizes, std::vector<int32_t>(invocations, int32_t(size)), "gl_SubgroupSize");
  if (full) {
    run.compare_exact(r, lanes, std::vector<int32_t>(invocations, int32_t(size)), "active invocations per subgroup");
  } else {
    const bool plausible =
        std::all_of(lanes.begin(), lanes.end(), [&](int32_t n) { return n >= 1 && n <= int32_t(size); });
    r.require(plausible, "a subgroup has more active invocations than gl_SubgroupSize, or none");
  }
  return r;
}

}  // namespace vkcap::checks
