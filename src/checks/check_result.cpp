#include "checks/check_result.h"

#include <algorithm>
#include <cmath>

namespace vkcap::checks {

std::string CheckResult::name() const {
  return family + (variant.empty() ? "" : " [" + variant + "]") + (shape.empty() ? "" : " " + shape);
}

std::string CheckResult::failure_text() const {
  std::string text;
  for (const std::string& f : failures) text += (text.empty() ? "" : "; ") + f;
  return text;
}

void CheckResult::require(bool ok, const std::string& what) {
  if (ok) return;
  pass = false;
  failures.push_back(what);
}

void CheckResult::add(const Comparison& c, const std::string& what) {
  measured = true;
  max_abs = std::max(max_abs, c.max_abs);
  if (c.max_expected > 0) max_rel = std::max(max_rel, c.max_abs / c.max_expected);
  require(c.pass, what + ": " + c.failure);
}

namespace {

// The selftest's fault: the first element moves by one unit plus half its own magnitude, far
// outside any kernel's budget (see CheckRun::perturb).
std::vector<float> perturbed(std::span<const float> values) {
  std::vector<float> out(values.begin(), values.end());
  if (!out.empty()) out[0] += 1.0f + 0.5f * std::abs(out[0]);
  return out;
}

}  // namespace

void CheckRun::compare(CheckResult& result, std::span<const float> actual, std::span<const double> expected,
                       Tolerance tol, const std::string& what) const {
  if (perturbs(result.family)) return result.add(checks::compare(perturbed(actual), expected, tol), what);
  result.add(checks::compare(actual, expected, tol), what);
}

void CheckRun::compare(CheckResult& result, std::span<const float> actual, std::span<const float> expected,
                       Tolerance tol, const std::string& what) const {
  if (perturbs(result.family)) return result.add(checks::compare(perturbed(actual), expected, tol), what);
  result.add(checks::compare(actual, expected, tol), what);
}

void CheckRun::compare_exact(CheckResult& result, std::span<const int32_t> actual, std::span<const int32_t> expected,
                             const std::string& what) const {
  std::vector<int32_t> got(actual.begin(), actual.end());
  if (perturbs(result.family) && !got.empty()) got[0] += 1;
  if (got.size() != expected.size())
    return result.require(false, what + ": " + std::to_string(got.size()) + " values, expected " +
                                     std::to_string(expected.size()));
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < got.size(); ++i)
    if (got[i] != expected[i] && bad++ == 0) first = i;
  result.require(bad == 0, what + ": " + std::to_string(bad) + " of " + std::to_string(got.size()) +
                               " differ; first at " + std::to_string(first) + ": got " +
                               (bad ? std::to_string(got[first]) : "") + " expected " +
                               (bad ? std::to_string(expected[first]) : ""));
}

}  // namespace vkcap::checks
