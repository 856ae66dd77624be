#pragma once
// One check: a kernel family on one variant and shape, run on a device and compared with its
// plain C++ reference. The kernel tests assert that every result passed; `vkcap selftest`
// prints them. CheckRun carries what every check needs: the device, and the selftest's fault
// switch.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "checks/compare.h"
#include "vk/context.h"

namespace vkcap::checks {

struct CheckResult {
  std::string family;   // kernel family: "linear", "attention", "layer_norm", ...
  std::string variant;  // "gpu", "cpu", "cpu texels f16", ...; empty for single-variant kernels
  std::string shape;    // the problem: sizes, layout, options
  bool pass = true;
  double max_abs = 0;   // largest |output − reference| over every compared output
  double max_rel = 0;   // max_abs relative to the largest reference value (the output's scale)
  bool measured = false;  // some output was compared within a tolerance (else: exact checks only)
  std::vector<std::string> failures;  // what went wrong, one line each
  double seconds = 0;   // wall time of the check (set by whoever runs it)
  // The subgroup size its subgroup kernels ran at, and whether it was required through subgroup
  // size control rather than the driver's default (set by whoever runs it); 0 = the check used
  // no subgroup operations.
  uint32_t subgroup_size = 0;
  bool subgroup_size_required = false;

  std::string name() const;
  std::string failure_text() const;  // the failures joined with "; "
  // Records a condition that must hold (guard bands intact, an exact index, ...).
  void require(bool ok, const std::string& what);
  // Folds one output's comparison into the result.
  void add(const Comparison& comparison, const std::string& what);
};

struct CheckRun {
  vk::Context& ctx;
  // A fault switch for testing the selftest itself (VKCAP_SELFTEST_PERTURB, honoured only by
  // `vkcap selftest`): outputs of this kernel family are shifted after they are read back, so
  // the comparison must fail. Empty in the test suite.
  std::string perturb;

  // Compares a read-back output with its reference and folds the result into `result`.
  void compare(CheckResult& result, std::span<const float> actual, std::span<const double> expected, Tolerance tol,
               const std::string& what) const;
  void compare(CheckResult& result, std::span<const float> actual, std::span<const float> expected, Tolerance tol,
               const std::string& what) const;
  // Integer outputs (indices) must match exactly.
  void compare_exact(CheckResult& result, std::span<const int32_t> actual, std::span<const int32_t> expected,
                     const std::string& what) const;
  // Whether `family`'s outputs are to be perturbed in this run.
  bool perturbs(const std::string& family) const { return !perturb.empty() && perturb == family; }
};

}  // namespace vkcap::checks
