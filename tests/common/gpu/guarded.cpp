#include "common/gpu/guarded.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <sstream>

namespace vkcap::test {

GuardedBuffer::GuardedBuffer(size_t count, float fill) : count_(count) {
  std::vector<float> host(count + 2 * kGuard, kSentinel);
  std::fill(host.begin() + kGuard, host.end() - kGuard, fill);
  buffer_ = gpu().create_buffer(host.size() * sizeof(float));
  gpu().upload(buffer_, host.data(), host.size() * sizeof(float));
}

GuardedBuffer::GuardedBuffer(std::span<const float> values) : count_(values.size()) {
  std::vector<float> host(values.size() + 2 * kGuard, kSentinel);
  std::copy(values.begin(), values.end(), host.begin() + kGuard);
  buffer_ = gpu().create_buffer(host.size() * sizeof(float));
  gpu().upload(buffer_, host.data(), host.size() * sizeof(float));
}

std::vector<float> GuardedBuffer::read() const {
  std::vector<float> out(count_);
  gpu().download(buffer_, out.data(), count_ * sizeof(float), kGuard * sizeof(float));
  return out;
}

bool GuardedBuffer::guards_intact() const {
  std::vector<float> host(count_ + 2 * kGuard);
  gpu().download(buffer_, host.data(), host.size() * sizeof(float));
  for (size_t i = 0; i < kGuard; ++i)
    if (host[i] != kSentinel || host[host.size() - 1 - i] != kSentinel) return false;
  return true;
}

Tolerance Tolerance::for_reduction(size_t length, double base_abs, double base_rel) {
  double grow = std::sqrt(static_cast<double>(std::max<size_t>(length, 1)));
  return {base_abs * grow, base_rel * grow};
}

namespace {

template <typename T>
bool compare(std::span<const float> actual, std::span<const T> expected, Tolerance tol, const std::string& what) {
  if (actual.size() != expected.size()) {
    FAIL_CHECK(what << ": size " << actual.size() << " != expected " << expected.size());
    return false;
  }
  double max_abs = 0, max_rel = 0;
  size_t worst = 0, bad = 0, nonfinite = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    const double a = actual[i], e = static_cast<double>(expected[i]);
    if (!std::isfinite(a) && std::isfinite(e)) {
      ++nonfinite;
      continue;
    }
    if (!std::isfinite(e)) {
      if (!(a == e || (std::isnan(a) && std::isnan(e)))) ++bad;
      continue;
    }
    const double err = std::abs(a - e), rel = err / std::max(std::abs(e), 1e-30);
    if (err > tol.abs + tol.rel * std::abs(e)) {
      ++bad;
      if (err > max_abs) worst = i;
    }
    max_abs = std::max(max_abs, err);
    max_rel = std::max(max_rel, std::min(rel, 1e30));
  }
  if (bad == 0 && nonfinite == 0) return true;
  std::ostringstream msg;
  msg << what << ": " << bad << " of " << actual.size() << " out of tolerance, " << nonfinite
      << " non-finite; max abs err " << max_abs << ", max rel err " << max_rel << " (tol abs " << tol.abs << " rel "
      << tol.rel << "); worst at " << worst << ": got " << actual[worst] << " expected " << double(expected[worst]);
  FAIL_CHECK(msg.str());
  return false;
}

}  // namespace

bool expect_close(std::span<const float> actual, std::span<const double> expected, Tolerance tol,
                  const std::string& what) {
  return compare(actual, expected, tol, what);
}
bool expect_close(std::span<const float> actual, std::span<const float> expected, Tolerance tol,
                  const std::string& what) {
  return compare(actual, expected, tol, what);
}

std::vector<float> random_values(size_t n, uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> out(n);
  for (float& v : out) v = dist(rng);
  return out;
}

}  // namespace vkcap::test
