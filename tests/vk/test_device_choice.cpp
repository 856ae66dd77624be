#include <doctest/doctest.h>

#include "common/gpu/harness.h"
#include "common/scoped_env.h"
#include "util/error.h"
#include "vk/instance.h"

using namespace vkcap::vk;

namespace {

std::vector<DeviceInfo> fake_devices() {
  std::vector<DeviceInfo> devices(3);
  devices[0].index = 0, devices[0].name = "llvmpipe (LLVM 15.0.6, 256 bits)", devices[0].type = VK_PHYSICAL_DEVICE_TYPE_CPU;
  devices[1].index = 1, devices[1].name = "Intel(R) UHD Graphics 620", devices[1].type = VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU;
  devices[2].index = 2, devices[2].name = "NVIDIA GeForce RTX 4090", devices[2].type = VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU;
  return devices;
}

}  // namespace

TEST_CASE("the default device prefers discrete, then integrated, then CPU") {
  auto devices = fake_devices();
  CHECK(default_device(devices) == 2);
  devices.pop_back();
  CHECK(default_device(devices) == 1);
  devices.pop_back();
  CHECK(default_device(devices) == 0);
}

TEST_CASE("a device is chosen by index or by a case-insensitive name substring") {
  auto devices = fake_devices();
  CHECK(choose_device(devices, "0") == 0);
  CHECK(choose_device(devices, "rtx") == 2);
  CHECK(choose_device(devices, "LLVMPIPE") == 0);
}

TEST_CASE("no choice means the default device, whatever VKCAP_DEVICE says (only the vkcap tool reads it)") {
  auto devices = fake_devices();
  ScopedEnv env("VKCAP_DEVICE", "intel");
  CHECK(choose_device(devices, "") == default_device(devices));
  CHECK(choose_device(devices, "2") == 2);
}

TEST_CASE("a bad index or unknown name gives a clear error listing the devices") {
  auto devices = fake_devices();
  CHECK_THROWS_WITH(choose_device(devices, "7"), doctest::Contains("device 7: no device with that index"));
  CHECK_THROWS_WITH(choose_device(devices, "7"), doctest::Contains("1 = Intel(R) UHD Graphics 620"));
  CHECK_THROWS_WITH(choose_device(devices, "radeon"), doctest::Contains("'radeon': no device name contains it"));
  CHECK_THROWS_AS(default_device({}), vkcap::Error);
}

TEST_CASE("the capability probe reads the real device") {
  const DeviceInfo& info = vkcap::test::gpu().info();
  CHECK_FALSE(info.name.empty());
  CHECK(info.max_storage_buffer_range > 0);
  CHECK(info.subgroup_size >= 1);
  CHECK(info.max_workgroup_invocations >= 128);
  CHECK(info.compute_queue_family != UINT32_MAX);
  CHECK_FALSE(info.heaps.empty());
  if (info.is_cpu()) {
    // lavapipe: unified memory, and the CPU-shaped kernels.
    CHECK(info.device_local_host_visible);
    CHECK(info.preferred_variant() == KernelVariant::Cpu);
  }
}
