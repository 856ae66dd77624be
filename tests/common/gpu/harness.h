#pragma once
// The GPU test harness: one shared Context with the Khronos validation layer and
// synchronization validation on. Any validation message emitted while a test runs fails that
// test; a message outside any test (e.g. at teardown) fails the whole run.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "vk/context.h"

namespace vkcap::test {

vk::Context& gpu();

// The options of gpu()'s context (validation on, messages failing the running test), for a
// test that needs a context of its own (e.g. at a required subgroup size). Such a context must
// be destroyed within the test: the validation layer does not outlive the process's exit.
vk::ContextOptions test_context_options();

// Where test contexts keep compiled pipelines: where the vkcap tool keeps them
// (cli/env_options.h), so that test runs start warm and a test can point the whole cache home
// elsewhere with XDG_CACHE_HOME as a user would.
std::filesystem::path test_cache_dir();

// Both kernel families on every machine (the Cpu one where the device supports it), so each
// shader with two variants is tested everywhere.
inline std::vector<vk::KernelVariant> kernel_variants() {
  std::vector<vk::KernelVariant> out{vk::KernelVariant::Gpu};
  if (gpu().info().supports_cpu_variant()) out.push_back(vk::KernelVariant::Cpu);
  return out;
}
inline const char* variant_name(vk::KernelVariant v) { return v == vk::KernelVariant::Cpu ? "cpu" : "gpu"; }

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
