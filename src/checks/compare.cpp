#include "checks/compare.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

namespace vkcap::checks {

Tolerance Tolerance::for_reduction(size_t length, double base_abs, double base_rel) {
  double grow = std::sqrt(static_cast<double>(std::max<size_t>(length, 1)));
  return {base_abs * grow, base_rel * grow};
}

namespace {

template <typename T>
Comparison compare_any(std::span<const float> actual, std::span<const T> expected, Tolerance tol) {
  Comparison c;
  if (actual.size() != expected.size()) {
    c.pass = false;
    c.failure = "size " + std::to_string(actual.size()) + " != expected " + std::to_string(expected.size());
    return c;
  }
  size_t worst = 0, bad = 0, nonfinite = 0;
  double worst_err = -1;
  for (size_t i = 0; i < actual.size(); ++i) {
    const double a = actual[i], e = static_cast<double>(expected[i]);
    if (!std::isfinite(a) && std::isfinite(e)) {
      ++nonfinite;
      if (worst_err < 0) worst = i;
      continue;
    }
    if (!std::isfinite(e)) {
      if (!(a == e || (std::isnan(a) && std::isnan(e)))) ++bad;
      continue;
    }
    const double err = std::abs(a - e), rel = err / std::max(std::abs(e), 1e-30);
    if (err > tol.abs + tol.rel * std::abs(e)) {
      ++bad;
      if (err > worst_err) worst = i, worst_err = err;
    }
    c.max_abs = std::max(c.max_abs, err);
    c.max_rel = std::max(c.max_rel, std::min(rel, 1e30));
    c.max_expected = std::max(c.max_expected, std::abs(e));
  }
  if (bad == 0 && nonfinite == 0) return c;
  c.pass = false;
  std::ostringstream msg;
  msg << bad << " of " << actual.size() << " out of tolerance, " << nonfinite << " non-finite; max abs err "
      << c.max_abs << ", max rel err " << c.max_rel << " (tol abs " << tol.abs << " rel " << tol.rel
      << "); worst at " << worst << ": got " << actual[worst] << " expected " << double(expected[worst]);
  c.failure = msg.str();
  return c;
}

}  // namespace

Comparison compare(std::span<const float> actual, std::span<const double> expected, Tolerance tol) {
  return compare_any(actual, expected, tol);
}
Comparison compare(std::span<const float> actual, std::span<const float> expected, Tolerance tol) {
  return compare_any(actual, expected, tol);
}

std::vector<float> random_values(size_t n, uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> out(n);
  for (float& v : out) v = dist(rng);
  return out;
}

}  // namespace vkcap::checks
