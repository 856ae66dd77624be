// The vkcap tool's environment (src/cli/env_options.h): every VKCAP_* variable lands in the
// library's options, a flag beats its variable, and the cache directories follow the XDG and
// huggingface_hub rules. (The library itself ignores all of them: tests/vk/test_runtime.cpp.)
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "cli/env_options.h"
#include "common/scoped_env.h"
#include "util/error.h"

using namespace vkcap;
namespace fs = std::filesystem;
using vkcap::test::TempDir;
using vkcap::test::run_vkcap;

TEST_CASE("every VKCAP_* variable is mapped onto the context and captioner options") {
  ScopedEnv device("VKCAP_DEVICE", "llvmpipe");
  ScopedEnv validate("VKCAP_VALIDATE", "1");
  ScopedEnv kernels("VKCAP_KERNELS", "gpu");
  ScopedEnv fetch("VKCAP_WEIGHT_FETCH", "addresses");
  ScopedEnv subgroup("VKCAP_SUBGROUP_SIZE", "16");
  ScopedEnv width("VKCAP_CPU_VECTOR_WIDTH", "256");
  ScopedEnv budget("VKCAP_MAX_DEVICE_MEMORY", "2M");
  ScopedEnv cache("VKCAP_CACHE_DIR", "/x/vkcap-cache");
  ScopedEnv fault("VKCAP_FAULT_INJECT", "submit-error@3");
  ScopedEnv hub("HF_HUB_CACHE", "/x/hub");

  const vk::ContextOptions c = cli::context_options({});
  CHECK(c.device == "llvmpipe");
  CHECK(c.validation);
  CHECK(c.kernels == "gpu");
  CHECK(c.weight_fetch == "addresses");
  CHECK(c.subgroup_size == 16);
  CHECK(c.cpu_vector_width == "256");
  CHECK(c.memory_budget == 2ull << 20);
  CHECK(c.pipeline_cache_dir == fs::path("/x/vkcap-cache"));
  CHECK(c.fault_injection == "submit-error@3");

  const CaptionerOptions o = cli::captioner_options({});
  CHECK(o.device == "llvmpipe");
  CHECK(o.validation);
  CHECK(o.kernels == "gpu");
  CHECK(o.weight_fetch == "addresses");
  CHECK(o.subgroup_size == 16);
  CHECK(o.cpu_vector_width == "256");
  CHECK(o.max_device_memory == 2ull << 20);
  CHECK(o.pipeline_cache_dir == fs::path("/x/vkcap-cache"));
  CHECK(o.hf_hub_cache == fs::path("/x/hub"));
  CHECK(o.fault_injection == "submit-error@3");

  const vk::InstanceOptions i = cli::instance_options_from_environment();
  CHECK(i.validation);
  CHECK(i.cpu_vector_width == vk::CpuVectorWidth::Bits256);
  CHECK(i.cache_dir == fs::path("/x/vkcap-cache"));
}

TEST_CASE("a flag beats its variable, which beats the default") {
  ScopedEnv device("VKCAP_DEVICE", "llvmpipe");
  cli::DeviceOptions flags;
  flags.device = "1";
  flags.profile = true;
  CHECK(cli::context_options(flags).device == "1");
  CHECK(cli::context_options(flags).profile);
  CHECK(cli::captioner_options(flags).device == "1");
  CHECK(cli::context_options({}).device == "llvmpipe");
  ScopedEnv none("VKCAP_DEVICE", nullptr);
  CHECK(cli::context_options({}).device.empty());
}

TEST_CASE("unset or off variables leave the library's defaults") {
  ScopedEnv validate("VKCAP_VALIDATE", "0");
  ScopedEnv kernels("VKCAP_KERNELS", nullptr);
  ScopedEnv subgroup("VKCAP_SUBGROUP_SIZE", "");
  ScopedEnv budget("VKCAP_MAX_DEVICE_MEMORY", nullptr);
  ScopedEnv fault("VKCAP_FAULT_INJECT", nullptr);
  ScopedEnv cache("VKCAP_CACHE_DIR", "off");
  const vk::ContextOptions c = cli::context_options({});
  CHECK_FALSE(c.validation);
  CHECK(c.kernels.empty());
  CHECK(c.subgroup_size == 0);  // the driver's default size
  CHECK(c.memory_budget == 0);
  CHECK(c.fault_injection.empty());
  CHECK(c.pipeline_cache_dir.empty());
}

TEST_CASE("a malformed size or vector width names its variable") {
  {
    ScopedEnv budget("VKCAP_MAX_DEVICE_MEMORY", "lots");
    CHECK_THROWS_WITH_AS(cli::read_environment(), doctest::Contains("VKCAP_MAX_DEVICE_MEMORY 'lots'"), Error);
  }
  for (const char* bad : {"eight", "0", "-8", "8x", "123456"}) {
    CAPTURE(bad);
    ScopedEnv subgroup("VKCAP_SUBGROUP_SIZE", bad);
    CHECK_THROWS_WITH_AS(cli::read_environment(), doctest::Contains("VKCAP_SUBGROUP_SIZE"), Error);
  }
  ScopedEnv width("VKCAP_CPU_VECTOR_WIDTH", "1024");
  CHECK_THROWS_WITH_AS(cli::read_environment(), doctest::Contains("VKCAP_CPU_VECTOR_WIDTH"), Error);
}

TEST_CASE("the pipeline cache follows VKCAP_CACHE_DIR, then XDG_CACHE_HOME, then HOME") {
  ScopedEnv cache("VKCAP_CACHE_DIR", nullptr);
  ScopedEnv xdg("XDG_CACHE_HOME", "/x/xdg");
  ScopedEnv home("HOME", "/home/someone");
  CHECK(cli::cache_dir_from_environment() == fs::path("/x/xdg/vkcap"));
  ScopedEnv no_xdg("XDG_CACHE_HOME", nullptr);
  CHECK(cli::cache_dir_from_environment() == fs::path("/home/someone/.cache/vkcap"));
  ScopedEnv placed("VKCAP_CACHE_DIR", "/x/mine");
  CHECK(cli::cache_dir_from_environment() == fs::path("/x/mine"));
}

TEST_CASE("model ids are looked up in HF_HUB_CACHE, then HF_HOME, then XDG/home") {
  ScopedEnv a("HF_HUB_CACHE", "/x/hub-cache");
  ScopedEnv b("HUGGINGFACE_HUB_CACHE", nullptr);
  ScopedEnv c("HF_HOME", "/x/hf-home");
  CHECK(cli::hf_hub_cache_from_environment() == fs::path("/x/hub-cache"));
  ScopedEnv none("HF_HUB_CACHE", nullptr);
  CHECK(cli::hf_hub_cache_from_environment() == fs::path("/x/hf-home/hub"));
  ScopedEnv no_home("HF_HOME", nullptr);
  ScopedEnv xdg("XDG_CACHE_HOME", nullptr);
  ScopedEnv home("HOME", "/home/someone");
  CHECK(cli::hf_hub_cache_from_environment() == fs::path("/home/someone/.cache/huggingface/hub"));
}

TEST_CASE("the tool finds a model id in the Hugging Face cache that HF_HUB_CACHE names") {
  TempDir dir;
  const fs::path snapshot = dir / "hub" / "models--org--tiny" / "snapshots" / "rev1";
  fs::create_directories(snapshot.parent_path());
  fs::copy(vkcap::test::kFixtures / "blip_tiny_a", snapshot, fs::copy_options::recursive);
  ScopedEnv hub("HF_HUB_CACHE", (dir / "hub").string());
  const auto r = run_vkcap({"info", "--json", "--model", "org/tiny"}, dir.path);
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(fs::weakly_canonical(nlohmann::json::parse(r.out).at("model").get<std::string>()) == fs::weakly_canonical(snapshot));
}

TEST_CASE("vkcap devices marks the device VKCAP_DEVICE names, and a bad one is an error") {
  TempDir dir;
  {
    ScopedEnv device("VKCAP_DEVICE", "0");
    const auto r = run_vkcap({"devices"}, dir.path);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(r.out.rfind("* 0: ", 0) == 0);
  }
  ScopedEnv device("VKCAP_DEVICE", "no-such-device");
  const auto r = run_vkcap({"devices"}, dir.path);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("'no-such-device': no device name contains it") != std::string::npos);
}
