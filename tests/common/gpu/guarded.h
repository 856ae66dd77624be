#pragma once
// The kernel tests' view of the check library (src/checks): guarded buffers on the shared test
// context, comparisons that fail the running doctest case, and the assertion that a check
// passed. Failures print max abs / max rel error and where it happened.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "checks/check_result.h"
#include "checks/compare.h"
#include "checks/guarded_buffer.h"
#include "common/gpu/harness.h"

namespace vkcap::test {

using checks::random_values;
using checks::Tolerance;

// A device buffer of `count` floats with guard bands on each side, on the test context.
class GuardedBuffer : public checks::GuardedBuffer {
 public:
  explicit GuardedBuffer(size_t count, float fill = 0.0f) : checks::GuardedBuffer(gpu(), count, fill) {}
  GuardedBuffer(std::span<const float> values) : checks::GuardedBuffer(gpu(), values) {}
};

// CHECKs that every element is finite, within abs + rel·|expected| of the reference, and
// reports the worst element when it is not. Returns whether it passed.
bool expect_close(std::span<const float> actual, std::span<const double> expected, Tolerance tol,
                  const std::string& what);
bool expect_close(std::span<const float> actual, std::span<const float> expected, Tolerance tol,
                  const std::string& what);

// The checks run by the tests: on the shared test context, nothing perturbed.
checks::CheckRun check_run();
// CHECKs that a check passed, naming it and what failed.
void expect_pass(const checks::CheckResult& result);
void expect_pass(const std::vector<checks::CheckResult>& results);

}  // namespace vkcap::test
