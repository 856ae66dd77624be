// WeightStore: one name → tensor lookup over whichever weight files a model directory has.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>

#include "model/weight_store.h"
#include "test_formats_util.h"
#include "util/error.h"

using namespace vkcap;
using namespace vkcap::model;
namespace fs = std::filesystem;
using vkcap::test::fresh_dir;
using vkcap::test::write_safetensors;
using vkcap::test::write_text;

namespace {

const fs::path kFixtures = VKCAP_FIXTURES_DIR;

std::string store_error(const fs::path& dir) {
  try {
    WeightStore s(dir);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("a golden directory's model.safetensors is found and checked by shape") {
  WeightStore store(kFixtures / "vitgpt2_tiny_a");
  CHECK(store.source() == "model.safetensors");
  CHECK(store.size() > 20);
  auto wte = store.find("decoder.transformer.wte.weight");
  REQUIRE(wte);
  CHECK(wte->shape == std::vector<int64_t>{280, 32});
  CHECK_FALSE(store.find("decoder.lm_head.weight"));  // tied alias: absent, callers fall back to wte
  CHECK(store.require("decoder.transformer.h.0.attn.c_attn.weight", {32, 96}).dtype == DType::F32);

  const std::string dir = (kFixtures / "vitgpt2_tiny_a").string();
  CHECK_THROWS_WITH_AS(store.require("decoder.transformer.wte.weight", {32, 280}),
                       (dir + ": weight 'decoder.transformer.wte.weight' has shape [280, 32], expected [32, 280]").c_str(),
                       Error);
  CHECK_THROWS_WITH_AS(store.require("decoder.lm_head.weight", {280, 32}),
                       (dir + ": missing weight 'decoder.lm_head.weight'").c_str(), Error);
}

TEST_CASE("pytorch_model.bin is used when there is no safetensors, and safetensors wins when both exist") {
  fs::path dir = fresh_dir("bin_only");
  fs::copy_file(kFixtures / "formats/blip_tiny_a_pytorch_model.bin", dir / "pytorch_model.bin");
  WeightStore bin(dir);
  CHECK(bin.source() == "pytorch_model.bin");
  WeightStore st(kFixtures / "blip_tiny_a");
  CHECK(bin.names() == st.names());
  auto a = bin.require("text_decoder.cls.predictions.bias", {122});
  auto b = st.require("text_decoder.cls.predictions.bias", {122});
  CHECK(std::memcmp(a.bytes.data(), b.bytes.data(), b.bytes.size()) == 0);

  fs::copy_file(kFixtures / "blip_tiny_a/model.safetensors", dir / "model.safetensors");
  CHECK(WeightStore(dir).source() == "model.safetensors");
}

TEST_CASE("integer buffers are found but never accepted as weights") {
  fs::path dir = fresh_dir("buffers");
  fs::copy_file(kFixtures / "formats/state_dtypes.bin", dir / "pytorch_model.bin");
  WeightStore store(dir);
  CHECK(store.find("i64"));
  CHECK_THROWS_WITH_AS(store.require("i64", {7}), doctest::Contains("weight 'i64' has dtype I64, expected F32, F16 or BF16"),
                       Error);
}

TEST_CASE("sharded safetensors are joined through the index") {
  fs::path dir = fresh_dir("sharded");
  write_safetensors(dir / "model-00001-of-00002.safetensors", {{"a.weight", {2, 3}}, {"a.bias", {2}}});
  write_safetensors(dir / "model-00002-of-00002.safetensors", {{"b.weight", {4}}}, 100);
  write_text(dir / "model.safetensors.index.json", R"({"metadata":{"total_size":40},"weight_map":{
      "a.weight":"model-00001-of-00002.safetensors","a.bias":"model-00001-of-00002.safetensors",
      "b.weight":"model-00002-of-00002.safetensors"}})");
  WeightStore store(dir);
  CHECK(store.source() == "model.safetensors.index.json");
  CHECK(store.names() == std::vector<std::string>{"a.bias", "a.weight", "b.weight"});
  CHECK(to_f32(store.require("b.weight", {4})) == std::vector<float>{100, 101, 102, 103});
}

TEST_CASE("indexes that point outside the directory or at the wrong shard are refused") {
  fs::path dir = fresh_dir("evil_index");
  write_safetensors(dir / "shard.safetensors", {{"w", {1}}});
  write_text(dir / "model.safetensors.index.json", R"({"weight_map":{"w":"../../etc/passwd"}})");
  CHECK(store_error(dir).find("weight_map['w']: shard '../../etc/passwd' is not a file in the model directory") !=
        std::string::npos);
  write_text(dir / "model.safetensors.index.json", R"({"weight_map":{"w":"/etc/passwd"}})");
  CHECK(store_error(dir).find("is not a file in the model directory") != std::string::npos);
  write_text(dir / "model.safetensors.index.json", R"({"weight_map":{"v":"shard.safetensors"}})");
  CHECK(store_error(dir).find("weight 'v' is mapped to shard 'shard.safetensors', which does not contain it") !=
        std::string::npos);
  write_text(dir / "model.safetensors.index.json", R"({"weight_map":{"w":"gone.safetensors"}})");
  CHECK(store_error(dir).find("shard 'gone.safetensors' is missing") != std::string::npos);
  write_text(dir / "model.safetensors.index.json", R"({"weight_map":[]})");
  CHECK(store_error(dir).find("expected an object with a 'weight_map' object") != std::string::npos);
  write_text(dir / "model.safetensors.index.json", R"({"weight_map":{"w":)");
  CHECK(store_error(dir).find("model.safetensors.index.json: not valid JSON") != std::string::npos);
}

TEST_CASE("a directory without weights says what it looked for") {
  fs::path dir = fresh_dir("empty");
  CHECK(store_error(dir) == dir.string() + ": no weights found (looked for model.safetensors, "
                                           "model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json)");
  CHECK(store_error(dir / "nope").find("not a directory") != std::string::npos);
}

TEST_CASE("release drops a tensor's file pages but never its values, mapped or copied") {
  // Mapped: a tensor spanning several pages of a safetensors file.
  fs::path dir = fresh_dir("release_mapped");
  write_safetensors(dir / "model.safetensors", {{"small", {3}}, {"big", {5, 4099}}});
  WeightStore mapped(dir);
  // Copied: strided torch views are made contiguous in memory vkcap owns, which a page release
  // must not touch (dropping anonymous pages would zero them).
  fs::path bin_dir = fresh_dir("release_views");
  fs::copy_file(kFixtures / "formats/state_views.bin", bin_dir / "pytorch_model.bin");
  WeightStore views(bin_dir);
  for (const WeightStore* store : {&mapped, &views}) {
    for (const std::string& name : store->names()) {
      CAPTURE(name);
      const TensorView view = *store->find(name);
      const std::vector<uint8_t> before(view.bytes.begin(), view.bytes.end());
      store->release(view);
      CHECK(std::memcmp(view.bytes.data(), before.data(), before.size()) == 0);  // read back (refaulted)
      store->release(view);  // twice is harmless
      CHECK(std::memcmp(view.bytes.data(), before.data(), before.size()) == 0);
    }
  }
  CHECK(mapped.find("big")->bytes.size() == 5 * 4099 * 4);
}
