#pragma once
// The GPU test harness: one shared Context with the Khronos validation layer and
// synchronization validation on. Any validation message emitted while a test runs fails that
// test; a message outside any test (e.g. at teardown) fails the whole run.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "vk/context.h"

namespace vkcap::test {

vk::Context& gpu();

// While alive, validation messages are counted here instead of failing the test: for tests
// that provoke a message on purpose.
class ExpectValidationMessages {
 public:
  ExpectValidationMessages();
  ~ExpectValidationMessages();
  uint64_t count() const { return count_; }

 private:
  std::atomic<uint64_t> count_{0};
};

}  // namespace vkcap::test
