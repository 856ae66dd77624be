#pragma once
// Attention test problems: the check library's problems, runner and references
// (src/checks/attention_checks.h), asserted on both kernel variants.
#include <doctest/doctest.h>

#include <string>

#include "checks/attention_checks.h"
#include "common/gpu/guarded.h"
#include "common/gpu/harness.h"

namespace vkcap::test::attention {

using kernels::AttentionArgs;
using kernels::MaskKind;
using kernels::MaskMode;
using test::expect_close;
using test::kernel_variants;
using test::variant_name;
using Problem = checks::AttentionProblem;
using Result = checks::AttentionOutcome;

inline Result run(const Problem& p, vk::KernelVariant variant) { return checks::run_attention(gpu(), p, variant); }
inline Tolerance out_tolerance(const Problem& p, double extra = 1.0) { return checks::attention_out_tolerance(p, extra); }

// Runs `p` on both variants and checks outputs (and probabilities when requested).
inline void check(const Problem& p, const std::string& what, double extra_tolerance = 1.0) {
  for (vk::KernelVariant variant : kernel_variants())
    expect_pass(checks::check_attention(check_run(), p, variant, what, extra_tolerance));
}

// Checks every problem of the library's list (checks::attention_problems) in `group`.
inline void check_group(const std::string& group) {
  int found = 0;
  for (const checks::NamedAttentionProblem& named : checks::attention_problems())
    if (named.group == group) {
      ++found;
      check(named.problem, named.what, named.extra_tolerance);
    }
  REQUIRE_MESSAGE(found > 0, "no attention problems in group " << group);
}

}  // namespace vkcap::test::attention
