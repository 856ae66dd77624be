// Inputs that once crashed or allocated without bound, each also kept as a regress_* input of
// the fuzz corpus (tests/fuzz/corpus/<target>/, replayed by test_fuzz_replay). These name the
// behaviour that replaced the crash.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "model/config.h"
#include "model/safetensors.h"
#include "model/torch_checkpoint.h"
#include "model/weight_store.h"
#include "util/error.h"

namespace {

namespace fs = std::filesystem;

const fs::path kCorpus = fs::path(VKCAP_SOURCE_DIR) / "tests" / "fuzz" / "corpus";

std::string deep(size_t levels) { return std::string(levels, '[') + std::string(levels, ']'); }

std::string error_of(auto&& fn) {
  try {
    fn();
  } catch (const vkcap::Error& e) {
    return e.what();
  }
  return "(no error)";
}

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("vkcap-fuzz-regress-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

}  // namespace

TEST_CASE("a torch view that reads one stored float 2^40 times is refused, not copied") {
  // size [2^40], stride [0], over a 1-element storage: the strided copy used to be sized by the
  // view (4 TiB) before anything looked at the file.
  const std::string message = error_of([] { vkcap::model::TorchCheckpoint(kCorpus / "torch_zip" / "regress_expand_stride0"); });
  CHECK(message.find("regress_expand_stride0: tensor 'x': view (size [1099511627776], stride [0]) has "
                     "1099511627776 elements, more than its 1-element storage") != std::string::npos);
}

TEST_CASE("config.json nested a million levels deep is an error naming the file, not a stack overflow") {
  const std::string text = R"({"architectures": ["BlipForConditionalGeneration"], "vision_config": )" +
                           deep(1'000'000) + "}";
  const std::string message = error_of([&] { vkcap::model::parse_model_config(text, "m/config.json"); });
  CHECK(message.starts_with("m/config.json: JSON nests deeper than 256 levels (at byte "));
}

TEST_CASE("a config nested within the limit still parses to its usual error") {
  const std::string text = R"({"architectures": ["BlipForConditionalGeneration"], "vision_config": )" + deep(200) + "}";
  const std::string message = error_of([&] { vkcap::model::parse_model_config(text, "m/config.json"); });
  CHECK(message.find("nests deeper") == std::string::npos);
  CHECK(message.starts_with("m/config.json: vision_config"));
}

TEST_CASE("brackets inside JSON strings do not count as nesting") {
  const std::string text = R"({"architectures": ["BlipForConditionalGeneration"], "note": ")" +
                           std::string(100000, '[') + R"(\"]"})";
  CHECK_NOTHROW(vkcap::model::parse_model_config(text, "m/config.json"));
}

TEST_CASE("a safetensors header with a deeply nested shape is refused before parsing") {
  const std::string header = R"({"w": {"dtype": "F32", "shape": )" + deep(1'000'000) + R"(, "data_offsets": [0, 4]}})";
  std::string file(8, '\0');
  for (int i = 0; i < 8; ++i) file[size_t(i)] = char((header.size() >> (8 * i)) & 0xff);
  file += header + std::string(4, '\0');
  const std::string message = error_of([&] {
    vkcap::model::parse_safetensors({reinterpret_cast<const uint8_t*>(file.data()), file.size()}, "w.safetensors");
  });
  CHECK(message.starts_with("w.safetensors: JSON nests deeper than 256 levels"));
}

TEST_CASE("a deeply nested model.safetensors.index.json is refused") {
  const fs::path dir = scratch("index");
  write(dir / "model.safetensors.index.json", R"({"weight_map": {"w": )" + deep(1'000'000) + "}}");
  const std::string message = error_of([&] { vkcap::model::WeightStore store(dir); });
  CHECK(message.starts_with((dir / "model.safetensors.index.json").string() + ": JSON nests deeper than 256 levels"));
  fs::remove_all(dir);
}

TEST_CASE("config.json larger than 64 MiB is refused before it is read") {
  const fs::path dir = scratch("big-config");
  {
    std::ofstream out(dir / "config.json", std::ios::binary);
    out.seekp((64 << 20) + 10);
    out.put('}');
  }
  const std::string message = error_of([&] { vkcap::model::load_model_config(dir); });
  CHECK(message == (dir / "config.json").string() + ": 67108875 bytes is larger than the limit of 67108864 for a JSON config");
  fs::remove_all(dir);
}

TEST_CASE("an index naming a shard longer than a file name can be says so instead of escaping filesystem_error") {
  // fs::is_regular_file(path) throws std::filesystem::filesystem_error (ENAMETOOLONG); found by
  // fuzz_json_configs (tests/fuzz/corpus/json_configs/regress_index_shard_name_too_long).
  const fs::path dir = scratch("long-shard");
  const std::string shard(5000, 'x');
  write(dir / "model.safetensors.index.json", R"({"weight_map": {"w": ")" + shard + R"("}})");
  const std::string message = error_of([&] { vkcap::model::WeightStore store(dir); });
  CHECK(message == (dir / "model.safetensors.index.json").string() + ": shard '" + shard + "' is missing from " +
                       dir.string());
  fs::remove_all(dir);
}
