#include <doctest/doctest.h>

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

struct SaxpyPush {
  uint32_t n;
  float a;
};

const vk::Kernel& saxpy() { return gpu().kernel({"saxpy", 2, sizeof(SaxpyPush), {64}}); }

std::vector<float> download(const vk::Buffer& b, size_t n) {
  std::vector<float> out(n);
  gpu().download(b, out.data(), n * sizeof(float));
  return out;
}

uint32_t groups(uint32_t n) { return (n + 63) / 64; }

}  // namespace

TEST_CASE("saxpy runs end to end on the device") {
  const uint32_t n = 1000;  // not a multiple of the workgroup size
  std::vector<float> x(n), y(n);
  for (uint32_t i = 0; i < n; ++i) x[i] = float(i), y[i] = 1.0f;
  vk::Buffer bx = gpu().upload_vector<float>(x), by = gpu().upload_vector<float>(y);
  vk::Recorder rec(gpu());
  rec.dispatch(saxpy(), {vk::reads(bx), vk::updates(by)}, SaxpyPush{n, 2.0f}, groups(n));
  rec.submit();
  auto out = download(by, n);
  for (uint32_t i = 0; i < n; ++i) REQUIRE(out[i] == doctest::Approx(2.0f * i + 1.0f));
}

TEST_CASE("a chain of dependent dispatches gets its barriers and the right numbers") {
  const uint32_t n = 257;
  std::vector<float> ones(n, 1.0f), zeros(n, 0.0f);
  vk::Buffer a = gpu().upload_vector<float>(ones), b = gpu().upload_vector<float>(zeros),
             c = gpu().upload_vector<float>(zeros);
  vk::Recorder rec(gpu());
  // b = 3a; c = 2b; a = 5c + a  ->  a = 31, b = 3, c = 6
  rec.dispatch(saxpy(), {vk::reads(a), vk::updates(b)}, SaxpyPush{n, 3.0f}, groups(n));
  rec.dispatch(saxpy(), {vk::reads(b), vk::updates(c)}, SaxpyPush{n, 2.0f}, groups(n));
  rec.dispatch(saxpy(), {vk::reads(c), vk::updates(a)}, SaxpyPush{n, 5.0f}, groups(n));
  CHECK(rec.barrier_count() == 2);
  rec.submit();
  CHECK(download(a, n)[n - 1] == 31.0f);
  CHECK(download(b, n)[0] == 3.0f);
  CHECK(download(c, n)[100] == 6.0f);
}

TEST_CASE("independent dispatches share no barrier") {
  const uint32_t n = 64;
  std::vector<float> v(n, 1.0f);
  vk::Buffer x = gpu().upload_vector<float>(v), y1 = gpu().upload_vector<float>(v), y2 = gpu().upload_vector<float>(v);
  vk::Recorder rec(gpu());
  rec.dispatch(saxpy(), {vk::reads(x), vk::updates(y1)}, SaxpyPush{n, 1.0f}, 1);
  rec.dispatch(saxpy(), {vk::reads(x), vk::updates(y2)}, SaxpyPush{n, 1.0f}, 1);
  CHECK(rec.barrier_count() == 0);
  rec.submit();
  CHECK(download(y2, n)[5] == 2.0f);
}

TEST_CASE("the harness catches a missing barrier") {
  const uint32_t n = 64;
  std::vector<float> v(n, 1.0f);
  vk::Buffer a = gpu().upload_vector<float>(v), b = gpu().upload_vector<float>(v);
  vkcap::test::ExpectValidationMessages expect;
  {
    vk::Recorder rec(gpu());
    rec.omit_barriers_for_testing(true);
    rec.dispatch(saxpy(), {vk::reads(a), vk::updates(b)}, SaxpyPush{n, 1.0f}, 1);
    rec.dispatch(saxpy(), {vk::reads(b), vk::updates(a)}, SaxpyPush{n, 1.0f}, 1);  // reads b: RAW hazard
    rec.submit();
  }
  CHECK(expect.count() > 0);
}

TEST_CASE("a recorded command buffer can be submitted again and again") {
  const uint32_t n = 100;
  std::vector<float> ones(n, 1.0f), zeros(n, 0.0f);
  vk::Buffer x = gpu().upload_vector<float>(ones), y = gpu().upload_vector<float>(zeros);
  vk::Recorder rec(gpu());
  rec.dispatch(saxpy(), {vk::reads(x), vk::updates(y)}, SaxpyPush{n, 0.5f}, groups(n));
  for (int i = 0; i < 4; ++i) rec.submit();
  CHECK(download(y, n)[n - 1] == 2.0f);
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
  setenv("VKCAP_CACHE_DIR", dir.c_str(), 1);
  fs::path file;
  {
    vk::PipelineCache cache(gpu().device(), gpu().info());
    file = cache.path();
  }
  REQUIRE(fs::exists(file));  // saved on destruction
  {
    vk::PipelineCache cache(gpu().device(), gpu().info());
    CHECK(cache.loaded_from_disk());
  }
  for (const std::string& junk : {std::string("garbage"), std::string(64, '\xff'), std::string()}) {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << junk;
    vk::PipelineCache cache(gpu().device(), gpu().info());
    CHECK_FALSE(cache.loaded_from_disk());
    // Still usable: a kernel builds through it.
    vk::Kernel k(gpu().device(), cache.handle(), {"saxpy", 2, sizeof(SaxpyPush), {64}});
    CHECK(k.pipeline() != VK_NULL_HANDLE);
  }
  // A truncated copy of a valid file.
  {
    vk::PipelineCache cache(gpu().device(), gpu().info());
  }
  auto size = fs::file_size(file);
  fs::resize_file(file, size / 2);
  {
    vk::PipelineCache cache(gpu().device(), gpu().info());
    vk::Kernel k(gpu().device(), cache.handle(), {"saxpy", 2, sizeof(SaxpyPush), {32}});
    CHECK(k.pipeline() != VK_NULL_HANDLE);
  }
  // An unwritable directory is not fatal.
  setenv("VKCAP_CACHE_DIR", "/proc/vkcap-cannot-write-here", 1);
  { vk::PipelineCache cache(gpu().device(), gpu().info()); }
  unsetenv("VKCAP_CACHE_DIR");
  fs::remove_all(dir);
}

TEST_CASE("binding a buffer larger than maxStorageBufferRange is refused clearly") {
  // Only checkable where the limit is below what we can allocate (lavapipe: 128 MiB).
  const uint64_t limit = gpu().info().max_storage_buffer_range;
  if (limit >= (1ull << 30)) return;
  vk::Buffer big = gpu().create_buffer(limit + 4096);
  vk::Buffer small = gpu().create_buffer(4096);
  vk::Recorder rec(gpu());
  CHECK_THROWS_WITH(rec.dispatch(saxpy(), {vk::reads(big), vk::updates(small)}, SaxpyPush{1, 1.0f}, 1),
                    doctest::Contains("maxStorageBufferRange"));
}

TEST_CASE("VKCAP_WEIGHT_FETCH picks how the Cpu kernels read weights and rejects unknown values") {
  {
    ScopedEnv fetch("VKCAP_WEIGHT_FETCH", "addresses");
    vk::Context context;
    CHECK_FALSE(context.info().texel_weights);
  }
  {
    ScopedEnv fetch("VKCAP_WEIGHT_FETCH", "bogus");
    CHECK_THROWS_WITH_AS(vk::Context(), doctest::Contains("VKCAP_WEIGHT_FETCH='bogus' is unknown"), Error);
  }
  if (gpu().info().texel_formats) {
    ScopedEnv fetch("VKCAP_WEIGHT_FETCH", "texels");
    vk::Context context;
    CHECK(context.info().texel_weights);
  }
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
  const auto& k = context.kernel({"saxpy", 2, sizeof(SaxpyPush), {64}});
  rec.dispatch(k, {vk::reads(x), vk::updates(y)}, SaxpyPush{n, 1.0f}, groups(n));
  rec.dispatch(k, {vk::reads(x), vk::updates(y)}, SaxpyPush{n, 1.0f}, groups(n));
  rec.submit();
  REQUIRE(context.profile().count("saxpy") == 1);
  CHECK(context.profile()["saxpy"].calls == 2);
  CHECK(context.profile()["saxpy"].total_ms >= 0.0);
}
