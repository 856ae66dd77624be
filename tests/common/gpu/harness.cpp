#include "common/gpu/harness.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "cli/env_options.h"

namespace vkcap::test {

namespace {

std::atomic<std::atomic<uint64_t>*> g_expected_counter{nullptr};
std::atomic<uint64_t> g_unattributed{0};
std::atomic<uint64_t> g_unexpected{0};  // every message no test asked for, in tests or not

void on_validation_message(std::string_view message) {
  if (auto* counter = g_expected_counter.load()) {
    counter->fetch_add(1);
    return;
  }
  g_unexpected.fetch_add(1);
  if (doctest::is_running_in_test) {
    const std::string text = "Vulkan validation: " + std::string(message);
    ADD_FAIL_CHECK_AT(__FILE__, __LINE__, text);
  } else {
    std::fprintf(stderr, "Vulkan validation outside a test: %.*s\n", static_cast<int>(message.size()), message.data());
    g_unattributed.fetch_add(1);
  }
}

// Destroys the shared context after the last test; messages raised by the teardown itself
// (leaked objects and the like) fail the run.
struct Holder {
  std::unique_ptr<vk::Context> context;
  ~Holder() {
    const bool used = context != nullptr;
    context.reset();
    // One line per test binary, so the suite's total is easy to collect (docs/reliability.md).
    if (used)
      std::fprintf(stderr, "Vulkan validation: %llu unexpected message(s) in this test binary\n",
                   static_cast<unsigned long long>(g_unexpected.load()));
    if (g_unattributed.load() > 0) {
      std::fprintf(stderr, "FAILED: %llu Vulkan validation message(s) outside tests\n",
                   static_cast<unsigned long long>(g_unattributed.load()));
      std::_Exit(1);
    }
  }
};

Holder g_holder;

}  // namespace

vk::ContextOptions test_context_options() {
  vk::ContextOptions options;
  options.validation = true;
  options.sync_validation = true;
  options.on_validation_message = on_validation_message;
  options.pipeline_cache_dir = test_cache_dir();
  return options;
}

vk::Context& gpu() {
  if (!g_holder.context) g_holder.context = std::make_unique<vk::Context>(test_context_options());
  return *g_holder.context;
}

std::filesystem::path test_cache_dir() { return cli::cache_dir_from_environment(); }

ExpectValidationMessages::ExpectValidationMessages() { g_expected_counter.store(&count_); }
ExpectValidationMessages::~ExpectValidationMessages() { g_expected_counter.store(nullptr); }

}  // namespace vkcap::test
