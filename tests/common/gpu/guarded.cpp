#include "common/gpu/guarded.h"

#include <doctest/doctest.h>

namespace vkcap::test {

namespace {

template <typename T>
bool expect_close_any(std::span<const float> actual, std::span<const T> expected, Tolerance tol,
                      const std::string& what) {
  const checks::Comparison c = checks::compare(actual, expected, tol);
  if (!c.pass) FAIL_CHECK(what << ": " << c.failure);
  return c.pass;
}

}  // namespace

bool expect_close(std::span<const float> actual, std::span<const double> expected, Tolerance tol,
                  const std::string& what) {
  return expect_close_any(actual, expected, tol, what);
}
bool expect_close(std::span<const float> actual, std::span<const float> expected, Tolerance tol,
                  const std::string& what) {
  return expect_close_any(actual, expected, tol, what);
}

checks::CheckRun check_run() { return {gpu(), ""}; }

void expect_pass(const checks::CheckResult& result) {
  CHECK_MESSAGE(result.pass, result.name() << ": " << result.failure_text());
}

void expect_pass(const std::vector<checks::CheckResult>& results) {
  for (const checks::CheckResult& r : results) expect_pass(r);
}

}  // namespace vkcap::test
