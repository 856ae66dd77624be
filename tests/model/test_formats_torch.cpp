// pytorch_model.bin: real torch.save files load with the right values and layouts, without
// executing anything, and hostile or broken archives and pickles are refused.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>

#include "model/pickle_reader.h"
#include "model/safetensors.h"
#include "model/torch_checkpoint.h"
#include "model/tensor_view.h"
#include "model/zip_reader.h"
#include "test_formats_util.h"
#include "util/error.h"
#include "util/mapped_file.h"

using namespace vkcap;
using namespace vkcap::model;
using vkcap::test::PickleBuilder;

namespace {

const std::filesystem::path kFormats = std::filesystem::path(VKCAP_FIXTURES_DIR) / "formats";

std::string load_error(const std::filesystem::path& path) {
  try {
    TorchCheckpoint c(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::string pickle_error(const std::vector<uint8_t>& pkl) {
  try {
    read_torch_state_dict_pickle(pkl, "evil.pkl");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// A torch-style archive around a hand-made pickle and storages.
std::filesystem::path torch_zip(const std::string& name, const std::vector<uint8_t>& pkl,
                                std::vector<std::pair<std::string, std::vector<uint8_t>>> storages) {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> files{{"archive/data.pkl", pkl}};
  for (auto& [key, bytes] : storages) files.push_back({"archive/data/" + key, bytes});
  files.push_back({"archive/version", {'3', '\n'}});
  return vkcap::test::write_temp(name, vkcap::test::make_stored_zip(files));
}

void check_dtypes_fixture(const TorchCheckpoint& c) {
  const TensorView* f32 = c.find("f32");
  REQUIRE(f32);
  CHECK(f32->dtype == DType::F32);
  CHECK(f32->shape == std::vector<int64_t>{2, 3, 4});
  auto v = to_f32(*f32);
  for (int i = 0; i < 24; ++i) CHECK(v[size_t(i)] == i * 0.25f - 3);

  CHECK(c.find("f16")->dtype == DType::F16);
  CHECK(to_f32(*c.find("f16")) == std::vector<float>{-1, -0.5f, 0, 0.5f, 1, 1.5f});
  CHECK(c.find("bf16")->dtype == DType::BF16);
  CHECK(to_f32(*c.find("bf16")) == std::vector<float>{0.125f, 1.625f, 3.125f, 4.625f, 6.125f});

  const TensorView* i64 = c.find("i64");
  CHECK(i64->dtype == DType::I64);
  int64_t first;
  std::memcpy(&first, i64->bytes.data(), 8);
  CHECK(first == -3);
  CHECK_THROWS_AS(to_f32(*i64), Error);

  CHECK(c.find("scalar")->shape.empty());
  CHECK(to_f32(*c.find("scalar")) == std::vector<float>{2.5f});
  CHECK(c.find("empty")->shape == std::vector<int64_t>{0, 4});
  CHECK(c.find("empty")->bytes.empty());
  CHECK(to_f32(*c.find("param")) == std::vector<float>(4, 7.0f));
  CHECK(c.tensors().size() == 7);
}

}  // namespace

TEST_CASE("torch.save state dicts load with every dtype, a Parameter and _metadata") {
  check_dtypes_fixture(TorchCheckpoint(kFormats / "state_dtypes.bin"));
}

TEST_CASE("the same archive re-packed with zip64 records loads identically") {
  check_dtypes_fixture(TorchCheckpoint(kFormats / "zip64_state.bin"));
}

TEST_CASE("strided views are copied to row-major and shared storages share bytes") {
  TorchCheckpoint c(kFormats / "state_views.bin");
  const TensorView* base = c.find("base");
  REQUIRE(base);
  auto t = to_f32(*c.find("transposed"));
  CHECK(c.find("transposed")->shape == std::vector<int64_t>{4, 3});
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j) CHECK(t[size_t(i * 3 + j)] == float(4 * j + i));
  CHECK(to_f32(*c.find("row1")) == std::vector<float>{4, 5, 6, 7});
  CHECK(c.find("row1")->bytes.data() == base->bytes.data() + 16);  // a view, not a copy
  CHECK(to_f32(*c.find("col2")) == std::vector<float>{2, 6, 10});
  CHECK(to_f32(*c.find("every_other")) == std::vector<float>{1, 3, 9, 11});
}

TEST_CASE("a training checkpoint's nested state_dict is found") {
  TorchCheckpoint c(kFormats / "state_wrapped.bin");
  REQUIRE(c.tensors().size() == 1);
  CHECK(to_f32(*c.find("w")) == std::vector<float>{1, 1, 1});
}

TEST_CASE("blip_tiny_a re-saved with torch.save holds exactly the safetensors tensors") {
  TorchCheckpoint bin(kFormats / "blip_tiny_a_pytorch_model.bin");
  SafetensorsFile st(std::filesystem::path(VKCAP_FIXTURES_DIR) / "blip_tiny_a/model.safetensors");
  REQUIRE(bin.tensors().size() == st.tensors().size());
  for (const auto& t : st.tensors()) {
    CAPTURE(t.name);
    const TensorView* b = bin.find(t.name);
    REQUIRE(b);
    CHECK(b->dtype == t.dtype);
    CHECK(b->shape == t.shape);
    REQUIRE(b->bytes.size() == t.bytes.size());
    CHECK(std::memcmp(b->bytes.data(), t.bytes.data(), t.bytes.size()) == 0);
  }
}

TEST_CASE("archives that are not plain torch.save zips are refused") {
  CHECK(load_error(kFormats / "deflated_state.bin")
            .find("zip entry 'state_dtypes/data.pkl': is compressed (method 8, deflate)") != std::string::npos);
  CHECK(load_error(kFormats / "evil_system.bin").find("pickle global 'posix.system' not allowed") != std::string::npos);
  CHECK(load_error(std::filesystem::path(VKCAP_FIXTURES_DIR) / "blip_tiny_a/config.json")
            .find("not a PyTorch checkpoint") != std::string::npos);
  auto legacy = vkcap::test::write_temp("legacy.bin", {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc});
  CHECK(load_error(legacy).find("legacy (PyTorch < 1.6)") != std::string::npos);
}

TEST_CASE("truncated and corrupt zip archives are refused") {
  auto good = vkcap::test::make_stored_zip({{"a/data.pkl", {1, 2, 3}}, {"a/data/0", std::vector<uint8_t>(64, 7)}});
  CHECK(read_stored_zip(good, "ok.zip").size() == 2);

  auto cut = std::vector<uint8_t>(good.begin(), good.begin() + 80);
  CHECK_THROWS_WITH_AS(read_stored_zip(cut, "cut.zip"), doctest::Contains("cut.zip: not a zip archive"), Error);

  auto lying = good;  // first entry's central-directory size claims 1000 bytes
  size_t cd = lying.size() - 22 - (46 + 10) - (46 + 8);
  for (size_t at : {cd + 20, cd + 24}) {
    lying[at] = 0xe8;
    lying[at + 1] = 0x03;
  }
  CHECK_THROWS_WITH_AS(read_stored_zip(lying, "lying.zip"),
                       doctest::Contains("zip entry 'a/data.pkl': 1000 bytes at offset 40 run into the central directory"), Error);

  auto bad_crc = good;
  bad_crc[40] ^= 0xff;  // first byte of data.pkl
  CHECK_THROWS_WITH_AS(read_stored_zip(bad_crc, "crc.zip"), doctest::Contains("CRC mismatch"), Error);

  auto bad_offset = good;  // first entry's local header offset points past the directory
  bad_offset[cd + 42] = 0xff;
  CHECK_THROWS_WITH_AS(read_stored_zip(bad_offset, "off.zip"), doctest::Contains("local header at offset 255 is missing"), Error);
}

TEST_CASE("a hand-made checkpoint loads, and lying tensor records are refused") {
  std::vector<uint8_t> storage(6 * 4);
  for (int i = 0; i < 6; ++i) {
    float f = float(i);
    std::memcpy(&storage[size_t(i) * 4], &f, 4);
  }
  auto state = [](const std::string& key, int numel, int offset, std::vector<int> size, std::vector<int> stride) {
    PickleBuilder p;
    p.proto().ordered_dict().mark().str("w").tensor("FloatStorage", key, numel, offset, size, stride);
    p.op('u').stop();
    return p.b;
  };
  TorchCheckpoint ok(torch_zip("ok.bin", state("0", 6, 1, {2, 2}, {2, 1}), {{"0", storage}}));
  CHECK(to_f32(*ok.find("w")) == std::vector<float>{1, 2, 3, 4});

  auto out_of_bounds = torch_zip("oob.bin", state("0", 6, 3, {2, 2}, {2, 1}), {{"0", storage}});
  CHECK(load_error(out_of_bounds).find("tensor 'w': view (offset 3, size [2, 2], stride [2, 1]) reaches element 6 of a 6-element storage") !=
        std::string::npos);
  auto missing = torch_zip("missing.bin", state("1", 6, 0, {6}, {1}), {{"0", storage}});
  CHECK(load_error(missing).find("tensor 'w': storage '1' is missing from the archive") != std::string::npos);
  auto short_storage = torch_zip("short.bin", state("0", 8, 0, {6}, {1}), {{"0", storage}});
  CHECK(load_error(short_storage).find("storage '0' has 24 bytes, expected 8 × 4") != std::string::npos);
}

TEST_CASE("the unpickler refuses everything outside torch's state-dict vocabulary") {
  SUBCASE("GLOBAL builtins.eval and os.system") {
    PickleBuilder p;
    p.proto().global("builtins", "eval").str("1+1").op(0x85).reduce().stop();
    CHECK(pickle_error(p.b) == "evil.pkl: pickle global 'builtins.eval' not allowed (only torch tensor rebuilding and "
                               "collections.OrderedDict) (at byte 2)");
    PickleBuilder q;
    q.proto().global("os", "system");
    CHECK(pickle_error(q.b).find("global 'os.system' not allowed") != std::string::npos);
  }
  SUBCASE("code-running opcodes are named") {
    PickleBuilder p;
    p.proto().mark().op('i');
    CHECK(pickle_error(p.b) == "evil.pkl: pickle opcode 0x69 (INST) not allowed (at byte 3)");
    PickleBuilder q;
    q.proto().op(0x81);
    CHECK(pickle_error(q.b).find("opcode 0x81 (NEWOBJ) not allowed") != std::string::npos);
  }
  SUBCASE("an allowed global that is not callable") {
    PickleBuilder p;
    p.proto().global("torch", "FloatStorage").op(')').reduce().stop();
    CHECK(pickle_error(p.b).find("global 'torch.FloatStorage' cannot be called") != std::string::npos);
  }
  SUBCASE("deep nesting") {
    PickleBuilder p;
    p.proto();
    for (int i = 0; i < 100; ++i) p.op(']');
    for (int i = 0; i < 99; ++i) p.op('a');
    CHECK(pickle_error(p.b).find("nesting deeper than 64") != std::string::npos);
    PickleBuilder q;
    q.proto();
    for (int i = 0; i < 100; ++i) q.mark();
    CHECK(pickle_error(q.b).find("MARKs nest deeper than 64") != std::string::npos);
  }
  SUBCASE("a list appended to itself ends at the depth limit, not in a loop") {
    PickleBuilder p;
    p.proto().op(']').op('q').le(0, 1);
    for (int i = 0; i < 100; ++i) p.op('h').le(0, 1).op('a');
    CHECK(pickle_error(p.b).find("nesting deeper than 64") != std::string::npos);
  }
  SUBCASE("huge and unknown memo indices") {
    PickleBuilder p;
    p.proto().op('}').op('r').le(0xffffffff, 4);
    CHECK(pickle_error(p.b).find("memo index 4294967295 exceeds the limit") != std::string::npos);
    PickleBuilder q;
    q.proto().op('h').le(9, 1);
    CHECK(pickle_error(q.b).find("memo index 9 was never stored") != std::string::npos);
  }
  SUBCASE("truncation and stack underflow") {
    PickleBuilder p;
    p.proto().op('X').le(1000, 4).op('a');
    CHECK(pickle_error(p.b) == "evil.pkl: pickle data truncated (at byte 2)");
    PickleBuilder q;
    q.proto().reduce();
    CHECK(pickle_error(q.b).find("stack underflow") != std::string::npos);
    CHECK(pickle_error({}).find("data truncated") != std::string::npos);
  }
  SUBCASE("protocol above 5 and roots that are not state dicts") {
    PickleBuilder p;
    p.proto(6);
    CHECK(pickle_error(p.b).find("protocol 6 is not supported") != std::string::npos);
    PickleBuilder q;
    q.proto().int1(3).stop();
    CHECK(pickle_error(q.b) == "evil.pkl: pickle holds a int, not a state dict");
    PickleBuilder r;
    r.proto().op('}').stop();
    CHECK(pickle_error(r.b) == "evil.pkl: pickle holds a dict without any tensors");
  }
  SUBCASE("a persistent id that is not a storage") {
    PickleBuilder p;
    p.proto().str("rm -rf").op('Q');
    CHECK(pickle_error(p.b).find("persistent id is not ('storage', type, key, location, numel)") != std::string::npos);
  }
}

TEST_CASE("corrupting any single byte of a checkpoint gives a clean error or a valid load, never a crash") {
  std::vector<uint8_t> original;
  {
    MappedFile f(kFormats / "state_views.bin");
    original.assign(f.bytes().begin(), f.bytes().end());
  }
  uint32_t seed = 12345;
  int loaded = 0, refused = 0;
  for (size_t pos = 0; pos < original.size(); ++pos) {
    auto bytes = original;
    seed = seed * 1664525u + 1013904223u;
    bytes[pos] ^= uint8_t(1u << (seed >> 29));  // flip one bit
    auto path = vkcap::test::write_temp("corrupt.bin", bytes);
    try {
      TorchCheckpoint c(path);
      for (const auto& t : c.tensors())
        if (is_float_weight(t.dtype)) to_f32(t);
      ++loaded;
    } catch (const Error&) {
      ++refused;
    }
  }
  CHECK(loaded + refused == int(original.size()));
  CHECK(refused > 0);
}
