// safetensors: the golden checkpoints load, and every kind of broken or lying file is refused
// with a message naming the file, the tensor and the problem.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "model/safetensors.h"
#include "model/tensor_view.h"
#include "util/error.h"
#include "util/mapped_file.h"

using namespace vkcap;
using namespace vkcap::model;

namespace {

const std::filesystem::path kFixtures = VKCAP_FIXTURES_DIR;

// header JSON + data bytes -> a whole file, as a writer would lay it out.
std::vector<uint8_t> make_file(const std::string& header, size_t data_bytes, uint64_t claimed_len = 0) {
  uint64_t len = claimed_len ? claimed_len : header.size();
  std::vector<uint8_t> out;
  out.reserve(8 + header.size() + data_bytes);
  for (int i = 0; i < 8; ++i) out.push_back(uint8_t(len >> (8 * i)));
  for (char c : header) out.push_back(uint8_t(c));
  for (size_t i = 0; i < data_bytes; ++i) out.push_back(uint8_t(i));
  return out;
}

std::string error_of(const std::vector<uint8_t>& bytes) {
  try {
    parse_safetensors(bytes, "bad.safetensors");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("every golden model.safetensors loads with float32 tensors of the documented shapes") {
  for (const char* fixture : {"blip_tiny_a", "blip_tiny_b", "vitgpt2_tiny_a", "vitgpt2_tiny_b"}) {
    CAPTURE(fixture);
    SafetensorsFile file(kFixtures / fixture / "model.safetensors");
    CHECK(file.tensors().size() > 20);
    for (const auto& t : file.tensors()) {
      CHECK(t.dtype == DType::F32);
      CHECK(t.bytes.size() == size_t(t.element_count()) * 4);
    }
    SafetensorsFile expected(kFixtures / fixture / "expected_tensors.safetensors");
    CHECK(expected.find("img0.pixel_values") != nullptr);
  }
  SafetensorsFile blip(kFixtures / "blip_tiny_a/model.safetensors");
  const TensorView* patch = blip.find("vision_model.embeddings.patch_embedding.weight");
  REQUIRE(patch);
  CHECK(patch->shape == std::vector<int64_t>{32, 3, 8, 8});
  CHECK(blip.find("text_decoder.cls.predictions.decoder.bias") == nullptr);  // tied alias omitted

  SafetensorsFile vit(kFixtures / "vitgpt2_tiny_b/model.safetensors");
  REQUIRE(vit.find("enc_to_dec_proj.weight"));
  CHECK(vit.find("enc_to_dec_proj.weight")->shape == std::vector<int64_t>{64, 48});
  CHECK(vit.find("decoder.transformer.h.0.attn.c_attn.weight")->shape ==
        std::vector<int64_t>{64, 192});
}

TEST_CASE("a well-formed file with metadata and mixed dtypes is indexed by name") {
  auto bytes = make_file(
      R"({"__metadata__":{"format":"pt"},"b":{"dtype":"F16","shape":[2],"data_offsets":[8,12]},)"
      R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e":{"dtype":"BF16","shape":[0],"data_offsets":[12,12]}})",
      12);
  auto c = parse_safetensors(bytes, "ok.safetensors");
  REQUIRE(c.tensors.size() == 3);
  CHECK(c.tensors[0].name == "a");
  CHECK(c.tensors[1].dtype == DType::F16);
  CHECK(c.tensors[2].element_count() == 0);
  CHECK(c.metadata.at("format") == "pt");
}

TEST_CASE("truncated and lying safetensors files are refused with a precise message") {
  const std::string one = R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})";
  CHECK(error_of(make_file(one, 16)) == "(no error)");

  SUBCASE("file shorter than the length prefix") {
    CHECK(error_of({1, 2, 3}).find("too small") != std::string::npos);
  }
  SUBCASE("header length past EOF") {
    CHECK(error_of(make_file(one, 16, 5000)).find("bad.safetensors: header length 5000 runs past the end") == 0);
  }
  SUBCASE("absurd header length") {
    CHECK(error_of(make_file(one, 16, uint64_t(1) << 40)).find("exceeds the limit") != std::string::npos);
  }
  SUBCASE("offsets past EOF (truncated data)") {
    CHECK(error_of(make_file(one, 12)) ==
          "bad.safetensors: tensor 'w': data_offsets [0,16] run past the end of the data (12 bytes; truncated file?)");
  }
  SUBCASE("overlapping tensors") {
    auto e = error_of(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12));
    CHECK(e == "bad.safetensors: tensor 'b': data overlaps tensor 'a'");
  }
  SUBCASE("unknown dtype") {
    auto e = error_of(make_file(R"({"q":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}})", 4));
    CHECK(e.find("bad.safetensors: tensor 'q': unsupported dtype 'F8_E4M3'") == 0);
  }
  SUBCASE("shape x dtype size disagrees with the byte range") {
    auto e = error_of(make_file(R"({"w":{"dtype":"F32","shape":[3,2],"data_offsets":[0,16]}})", 16));
    CHECK(e == "bad.safetensors: tensor 'w': data_offsets [0,16] hold 16 bytes but F32 [3, 2] needs 24");
  }
  SUBCASE("header that is JSON but not an object") {
    std::string arr = "[1,2,3]";
    CHECK(error_of(make_file(arr, 0)) == "bad.safetensors: header is not a JSON object");
  }
  SUBCASE("header that is not JSON") {
    CHECK(error_of(make_file("{\"w\": ", 0)).find("header is not valid JSON") != std::string::npos);
  }
  SUBCASE("shape whose element count overflows") {
    auto e = error_of(make_file(
        R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,0]}})", 0));
    CHECK(e.find("bad.safetensors: tensor 'w': shape [4294967296,4294967296,16] has too many") == 0);
  }
  SUBCASE("negative or fractional dimension") {
    CHECK(error_of(make_file(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})", 0))
              .find("invalid dimension -1") != std::string::npos);
    CHECK(error_of(make_file(R"({"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,0]}})", 0))
              .find("invalid dimension 1.5") != std::string::npos);
  }
  SUBCASE("reversed offsets and missing fields") {
    CHECK(error_of(make_file(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", 8))
              .find("invalid data_offsets [8,0]") != std::string::npos);
    CHECK(error_of(make_file(R"({"w":{"dtype":"F32","shape":[0]}})", 0)) ==
          "bad.safetensors: tensor 'w': missing 'data_offsets'");
  }
  SUBCASE("the same name twice") {
    auto e = error_of(make_file(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8));
    CHECK(e == "bad.safetensors: tensor 'w': listed twice");
  }
}

TEST_CASE("a missing file names its path") {
  CHECK_THROWS_WITH_AS(SafetensorsFile("/nonexistent/model.safetensors"),
                       doctest::Contains("/nonexistent/model.safetensors"), Error);
}

TEST_CASE("float16 conversion rounds to nearest even and round-trips every half") {
  CHECK(f32_to_f16(1.0f) == 0x3c00);
  CHECK(f32_to_f16(1.0f + 0x1p-11f) == 0x3c00);         // tie -> even (down)
  CHECK(f32_to_f16(1.0f + 3 * 0x1p-11f) == 0x3c02);     // tie -> even (up)
  CHECK(f32_to_f16(1.0f + 0x1p-11f + 0x1p-20f) == 0x3c01);
  CHECK(f32_to_f16(65504.0f) == 0x7bff);
  CHECK(f32_to_f16(65519.0f) == 0x7bff);
  CHECK(f32_to_f16(65520.0f) == 0x7c00);
  CHECK(f32_to_f16(-1e10f) == 0xfc00);
  CHECK(f32_to_f16(0x1p-14f) == 0x0400);                // smallest normal
  CHECK(f32_to_f16(0x1p-24f) == 0x0001);                // smallest subnormal
  CHECK(f32_to_f16(0x1p-25f) == 0x0000);                // tie -> even zero
  CHECK(f32_to_f16(3 * 0x1p-25f) == 0x0002);            // 1.5 steps -> 2
  CHECK(f32_to_f16(-0.0f) == 0x8000);
  CHECK((f32_to_f16(NAN) & 0x7fff) > 0x7c00);
  for (uint32_t h = 0; h < 0x10000; ++h) {
    bool nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
    if (!nan && f32_to_f16(f16_to_f32(uint16_t(h))) != h) FAIL("half " << h << " does not round-trip");
  }
  CHECK(f16_to_f32(0x0001) == 0x1p-24f);
  CHECK(f16_to_f32(0xc000) == -2.0f);
}

TEST_CASE("to_f32 and to_f16 convert every float weight type and refuse integer buffers") {
  const uint8_t bf16[] = {0x80, 0x3f, 0x49, 0xc0};  // 1.0, -3.140625
  TensorView b{"b", DType::BF16, {2}, bf16};
  CHECK(to_f32(b) == std::vector<float>{1.0f, -3.140625f});
  CHECK(to_f16(b) == std::vector<uint16_t>{0x3c00, 0xc248});

  float f[] = {0.5f, 1.0f + 0x1p-11f};
  TensorView v{"f", DType::F32, {2}, {reinterpret_cast<const uint8_t*>(f), sizeof f}};
  CHECK(to_f16(v) == std::vector<uint16_t>{0x3800, 0x3c00});
  CHECK(to_f32(v) == std::vector<float>{0.5f, 1.0f + 0x1p-11f});

  const uint8_t h[] = {0x00, 0x3c, 0x00, 0xc0};
  TensorView hv{"h", DType::F16, {1, 2}, h};
  CHECK(to_f32(hv) == std::vector<float>{1.0f, -2.0f});

  const uint8_t i64[8] = {};
  TensorView iv{"position_ids", DType::I64, {1}, i64};
  CHECK_THROWS_WITH_AS(to_f32(iv), "tensor 'position_ids': dtype I64 is not a float weight type (F32, F16, BF16)",
                       Error);
}

TEST_CASE("corrupting any single byte of a safetensors header gives a clean error or a valid index") {
  MappedFile f(kFixtures / "vitgpt2_tiny_a/model.safetensors");
  std::vector<uint8_t> original(f.bytes().begin(), f.bytes().end());
  uint64_t header_len = 0;
  std::memcpy(&header_len, original.data(), 8);
  int refused = 0, tried = 0;
  bool inside = true;
  for (size_t pos = 0; pos < 8 + header_len; pos += 11, ++tried) {
    const uint8_t saved = original[pos];
    original[pos] = uint8_t(saved + 1 + pos % 200);
    try {
      auto c = parse_safetensors(original, "corrupt.safetensors");
      for (const auto& t : c.tensors)
        inside = inside && t.bytes.data() + t.bytes.size() <= original.data() + original.size();
    } catch (const Error&) {
      ++refused;
    }
    original[pos] = saved;
  }
  CHECK(inside);
  CHECK(refused > tried / 2);
}
