#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include "common/gpu/harness.h"
#include "common/scoped_env.h"
#include "util/error.h"
#include "vk/context.h"
#include "vk/pipeline_cache.h"

using namespace vkcap;
using vkcap::test::gpu;

namespace {

// The runtime is exercised through the smallest production kernel, shaders/add.comp
// (y = a + b): descriptors, push constants, a specialization constant (the workgroup size).
struct AddPush {
  uint32_t a_offset = 0, b_offset = 0, y_offset = 0, count = 0;
};
AddPush whole(uint32_t count) { return {0, 0, 0, count}; }
const vk::KernelSpec kAdd{"add", 3, sizeof(AddPush), {64}};

const vk::Kernel& add() { return gpu().kernel(kAdd); }

std::vector<float> download(const vk::Buffer& b, size_t n) {
  std::vector<float> out(n);
  gpu().download(b, out.data(), n * sizeof(float));
  return out;
}

uint32_t groups(uint32_t n) { return (n + 63) / 64; }

}  // namespace

TEST_CASE("a kernel runs end to end on the device") {
  const uint32_t n = 1000;  // not a multiple of the workgroup size
  std::vector<float> x(n), y(n, 1.0f);
  for (uint32_t i = 0; i < n; ++i) x[i] = float(i);
  vk::Buffer bx = gpu().upload_vector<float>(x), by = gpu().upload_vector<float>(y), sum = gpu().create_buffer(n * 4);
  vk::Recorder rec(gpu());
  rec.dispatch(add(), {vk::reads(bx), vk::reads(by), vk::writes(sum)}, whole(n), groups(n));
  rec.submit();
  auto out = download(sum, n);
  for (uint32_t i = 0; i < n; ++i) REQUIRE(out[i] == float(i) + 1.0f);
}

TEST_CASE("a chain of dependent dispatches gets its barriers and the right numbers") {
  const uint32_t n = 257;
  std::vector<float> ones(n, 1.0f), zeros(n, 0.0f);
  vk::Buffer a = gpu().upload_vector<float>(ones), one = gpu().upload_vector<float>(ones),
             b = gpu().upload_vector<float>(zeros), c = gpu().upload_vector<float>(zeros);
  vk::Recorder rec(gpu());
  // b = a + 1; c = b + a; a = c + b  ->  b = 2, c = 3, a = 5
  rec.dispatch(add(), {vk::reads(a), vk::reads(one), vk::writes(b)}, whole(n), groups(n));
  rec.dispatch(add(), {vk::reads(b), vk::reads(a), vk::writes(c)}, whole(n), groups(n));
  rec.dispatch(add(), {vk::reads(c), vk::reads(b), vk::writes(a)}, whole(n), groups(n));
  CHECK(rec.barrier_count() == 2);
  rec.submit();
  CHECK(download(a, n)[n - 1] == 5.0f);
  CHECK(download(b, n)[0] == 2.0f);
  CHECK(download(c, n)[100] == 3.0f);
}

TEST_CASE("independent dispatches share no barrier") {
  const uint32_t n = 64;
  std::vector<float> v(n, 1.0f);
  vk::Buffer x = gpu().upload_vector<float>(v), w = gpu().upload_vector<float>(v), y1 = gpu().create_buffer(n * 4),
             y2 = gpu().create_buffer(n * 4);
  vk::Recorder rec(gpu());
  rec.dispatch(add(), {vk::reads(x), vk::reads(w), vk::writes(y1)}, whole(n), 1);
  rec.dispatch(add(), {vk::reads(x), vk::reads(w), vk::writes(y2)}, whole(n), 1);
  CHECK(rec.barrier_count() == 0);
  rec.submit();
  CHECK(download(y2, n)[5] == 2.0f);
}

TEST_CASE("the harness catches a missing barrier") {
  const uint32_t n = 64;
  std::vector<float> v(n, 1.0f);
  vk::Buffer a = gpu().upload_vector<float>(v), b = gpu().upload_vector<float>(v), w = gpu().upload_vector<float>(v);
  vkcap::test::ExpectValidationMessages expect;
  {
    vk::Recorder rec(gpu());
    rec.omit_barriers_for_testing(true);
    rec.dispatch(add(), {vk::reads(a), vk::reads(w), vk::writes(b)}, whole(n), 1);
    rec.dispatch(add(), {vk::reads(b), vk::reads(w), vk::writes(a)}, whole(n), 1);  // reads b: RAW hazard
    rec.submit();
  }
  CHECK(expect.count() > 0);
}

TEST_CASE("a recorded command buffer can be submitted again and again") {
  const uint32_t n = 100;
  std::vector<float> ones(n, 1.0f), halves(n, 0.5f);
  vk::Buffer x = gpu().upload_vector<float>(ones), h = gpu().upload_vector<float>(halves), y = gpu().create_buffer(n * 4);
  vk::Recorder rec(gpu());
  rec.dispatch(add(), {vk::reads(x), vk::reads(h), vk::writes(y)}, whole(n), groups(n));
  for (int i = 0; i < 4; ++i) rec.submit();
  CHECK(download(y, n)[n - 1] == 1.5f);
  // The host may change the inputs between replays.
  std::vector<float> threes(n, 3.0f);
  gpu().upload(x, threes.data(), n * sizeof(float));
  rec.submit();
  CHECK(download(y, n)[0] == 3.5f);
}

TEST_CASE("buffers get device addresses when the device supports them") {
  vk::Buffer b = gpu().create_buffer(1024);
  if (gpu().info().buffer_device_address)
    CHECK(b.address() != 0);
  else
    CHECK(b.address() == 0);
}

TEST_CASE("a memory budget turns exhaustion into a clear out-of-memory error") {
  vk::Allocator small(gpu().device(), gpu().instance().physical_devices()[gpu().info().index], gpu().info(),
                      1 << 20, 2 << 20);
  std::vector<vk::Buffer> kept;
  kept.push_back(small.create_buffer(600 << 10));
  kept.push_back(small.create_buffer(600 << 10));  // a second block
  CHECK(small.stats().blocks == 2);
  CHECK_THROWS_AS(small.create_buffer(900 << 10), vkcap::OutOfMemoryError);
  CHECK_THROWS_WITH(small.create_buffer(900 << 10), doctest::Contains("budget"));
  // Freed space is reused without new blocks.
  kept.pop_back();
  kept.push_back(small.create_buffer(500 << 10));
  CHECK(small.stats().blocks == 2);
}

TEST_CASE("parse_byte_size understands units and rejects nonsense") {
  CHECK(vk::parse_byte_size("512M", "x") == 512ull << 20);
  CHECK(vk::parse_byte_size("2G", "x") == 2ull << 30);
  CHECK(vk::parse_byte_size("1000", "x") == 1000);
  CHECK_THROWS_AS(vk::parse_byte_size("lots", "x"), vkcap::Error);
  CHECK_THROWS_AS(vk::parse_byte_size("5Q", "x"), vkcap::Error);
}

TEST_CASE("a corrupt or truncated pipeline cache file is ignored") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("vkcap-cache-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::path file;
  {
    vk::PipelineCache cache(gpu().device(), gpu().info(), dir);
    file = cache.path();
  }
  REQUIRE(fs::exists(file));  // saved on destruction
  {
    vk::PipelineCache cache(gpu().device(), gpu().info(), dir);
    CHECK(cache.loaded_from_disk());
  }
  for (const std::string& junk : {std::string("garbage"), std::string(64, '\xff'), std::string()}) {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << junk;
    vk::PipelineCache cache(gpu().device(), gpu().info(), dir);
    CHECK_FALSE(cache.loaded_from_disk());
    // Still usable: a kernel builds through it.
    vk::Kernel k(gpu().device(), cache.handle(), kAdd);
    CHECK(k.pipeline() != VK_NULL_HANDLE);
  }
  // A truncated copy of a valid file.
  {
    vk::PipelineCache cache(gpu().device(), gpu().info(), dir);
  }
  auto size = fs::file_size(file);
  fs::resize_file(file, size / 2);
  {
    vk::PipelineCache cache(gpu().device(), gpu().info(), dir);
    vk::Kernel k(gpu().device(), cache.handle(), {"add", 3, sizeof(AddPush), {32}});
    CHECK(k.pipeline() != VK_NULL_HANDLE);
  }
  // An unwritable directory is not fatal; no directory means no file at all.
  { vk::PipelineCache cache(gpu().device(), gpu().info(), "/proc/vkcap-cannot-write-here"); }
  {
    vk::PipelineCache cache(gpu().device(), gpu().info(), {});
    CHECK(cache.path().empty());
    CHECK_FALSE(cache.loaded_from_disk());
  }
  fs::remove_all(dir);
}

TEST_CASE("binding a buffer larger than maxStorageBufferRange is refused clearly") {
  // Only checkable where the limit is below what we can allocate (lavapipe: 128 MiB).
  const uint64_t limit = gpu().info().max_storage_buffer_range;
  if (limit >= (1ull << 30)) return;
  vk::Buffer big = gpu().create_buffer(limit + 4096);
  vk::Buffer small = gpu().create_buffer(4096);
  vk::Recorder rec(gpu());
  CHECK_THROWS_WITH(rec.dispatch(add(), {vk::reads(big), vk::reads(small), vk::writes(small)}, whole(1), 1),
                    doctest::Contains("maxStorageBufferRange"));
}

TEST_CASE("ContextOptions::weight_fetch picks how the Cpu kernels read weights and rejects unknown values") {
  auto with_fetch = [](const char* fetch) {
    vk::ContextOptions options;
    options.validation = true;
    options.weight_fetch = fetch;
    return options;
  };
  {
    vk::Context context(with_fetch("addresses"));
    CHECK_FALSE(context.info().texel_weights);
  }
  CHECK_THROWS_WITH_AS(vk::Context(with_fetch("bogus")), doctest::Contains("weight fetch 'bogus' is unknown"), Error);
  if (gpu().info().texel_formats) {
    vk::Context context(with_fetch("texels"));
    CHECK(context.info().texel_weights);
  }
}

TEST_CASE("ContextOptions::kernels forces a kernel family and rejects unknown ones") {
  vk::ContextOptions options;
  options.validation = true;
  options.kernels = "gpu";
  CHECK(vk::Context(options).info().preferred_variant() == vk::KernelVariant::Gpu);
  options.kernels = "bogus";
  CHECK_THROWS_WITH_AS(vk::Context{options}, doctest::Contains("kernel family 'bogus' is unknown"), Error);
}

// The vkcap tool maps its VKCAP_* variables onto the options (src/cli/env_options.h); the
// library itself must not look at them, whatever they say.
TEST_CASE("the library ignores VKCAP_* environment variables") {
  ScopedEnv kernels("VKCAP_KERNELS", "bogus");
  ScopedEnv fetch("VKCAP_WEIGHT_FETCH", "bogus");
  ScopedEnv budget("VKCAP_MAX_DEVICE_MEMORY", "1");
  ScopedEnv device("VKCAP_DEVICE", "no-such-device");
  ScopedEnv width("VKCAP_CPU_VECTOR_WIDTH", "bogus");
  ScopedEnv fault("VKCAP_FAULT_INJECT", "device-lost@1");
  ScopedEnv validate("VKCAP_VALIDATE", "1");
  namespace fs = std::filesystem;
  const fs::path env_cache = fs::temp_directory_path() / ("vkcap-env-cache-" + std::to_string(::getpid()));
  ScopedEnv cache("VKCAP_CACHE_DIR", env_cache.string());

  vk::ContextOptions options;
  options.validation = true;
  std::atomic<int> messages{0};
  options.on_validation_message = [&](std::string_view) { ++messages; };
  {
    vk::Context context(options);
    CHECK(context.instance().validation_enabled());
    CHECK(context.allocator().budget() == 0);         // no budget from VKCAP_MAX_DEVICE_MEMORY
    CHECK(context.pipeline_cache().path().empty());   // no cache directory from VKCAP_CACHE_DIR
    const uint32_t n = 64;
    std::vector<float> v(n, 1.0f);
    vk::Buffer x = context.upload_vector<float>(v), w = context.upload_vector<float>(v), y = context.create_buffer(n * 4);
    vk::Recorder rec(context);
    rec.dispatch(context.kernel(kAdd), {vk::reads(x), vk::reads(w), vk::writes(y)}, whole(n), 1);
    rec.submit();  // no fault injected by VKCAP_FAULT_INJECT
    std::vector<float> out(n);
    context.download(y, out.data(), n * sizeof(float));
    CHECK(out[n - 1] == 2.0f);
  }
  CHECK(messages.load() == 0);
  CHECK_FALSE(fs::exists(env_cache));
  CHECK_FALSE(vk::Context(vk::ContextOptions{}).instance().validation_enabled());  // not from VKCAP_VALIDATE=1
}

TEST_CASE("a buffer's texel views are made once per format and kept") {
  vk::Buffer buffer = gpu().create_buffer(256);
  const VkBufferView rgba = buffer.texel_view(VK_FORMAT_R32G32B32A32_SFLOAT);
  CHECK(rgba != VK_NULL_HANDLE);
  CHECK(buffer.texel_view(VK_FORMAT_R32G32B32A32_SFLOAT) == rgba);
  const VkBufferView words = buffer.texel_view(VK_FORMAT_R32G32B32A32_UINT);
  CHECK(words != VK_NULL_HANDLE);
  CHECK(words != rgba);
  CHECK(buffer.fits_texel_view(VK_FORMAT_R32G32B32A32_UINT));
  CHECK_THROWS_AS(buffer.texel_view(VK_FORMAT_R8_UNORM), Error);
}

TEST_CASE("profiling records per-kernel GPU time") {
  vk::ContextOptions options;
  options.profile = true;
  options.validation = true;
  options.on_validation_message = [](std::string_view m) {
    const std::string text = "validation: " + std::string(m);
    ADD_FAIL_CHECK_AT(__FILE__, __LINE__, text);
  };
  vk::Context context(options);
  if (!context.info().timestamps) return;
  const uint32_t n = 4096;
  std::vector<float> v(n, 1.0f);
  vk::Buffer x = context.upload_vector<float>(v), y = context.upload_vector<float>(v);
  vk::Recorder rec(context);
  vk::Buffer sum = context.create_buffer(n * 4);
  const auto& k = context.kernel(kAdd);
  rec.dispatch(k, {vk::reads(x), vk::reads(y), vk::writes(sum)}, whole(n), groups(n));
  rec.dispatch(k, {vk::reads(x), vk::reads(sum), vk::writes(y)}, whole(n), groups(n));
  rec.submit();
  REQUIRE(context.profile().count("add") == 1);
  CHECK(context.profile()["add"].calls == 2);
  CHECK(context.profile()["add"].total_ms >= 0.0);
}
