// Model location: a directory as is, or ORG/NAME from a Hugging Face cache directory (which one
// is the caller's choice: the vkcap tool's environment rules are tested in tests/cli).
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "model/hf_cache.h"
#include "test_formats_util.h"
#include "util/error.h"

using namespace vkcap;
using namespace vkcap::model;
namespace fs = std::filesystem;
using vkcap::test::fresh_dir;
using vkcap::test::write_text;

namespace {

std::string resolve_error(const std::string& spec, const fs::path& cache = {}) {
  try {
    resolve_model(spec, cache);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("an existing directory is used as is") {
  CHECK(resolve_model(VKCAP_FIXTURES_DIR "/blip_tiny_a", {}) == fs::path(VKCAP_FIXTURES_DIR "/blip_tiny_a"));
  CHECK(resolve_error(VKCAP_FIXTURES_DIR "/blip_tiny_a/config.json").find("not a directory") != std::string::npos);
  CHECK(resolve_error("./no/such/dir").find("no such model directory") != std::string::npos);
}

TEST_CASE("a model id resolves to the snapshot refs/main names, else the newest") {
  fs::path cache = fresh_dir("hf_cache");
  fs::path repo = cache / "models--Salesforce--blip-image-captioning-base";
  write_text(repo / "snapshots/aaa111/config.json", "{}");
  write_text(repo / "snapshots/bbb222/config.json", "{}");
  fs::last_write_time(repo / "snapshots/aaa111", fs::file_time_type::clock::now() - std::chrono::hours(2));
  fs::last_write_time(repo / "snapshots/bbb222", fs::file_time_type::clock::now() - std::chrono::hours(1));
  const std::string id = "Salesforce/blip-image-captioning-base";

  CHECK(resolve_model(id, cache) == repo / "snapshots/bbb222");  // newest
  write_text(repo / "refs/main", "aaa111\n");
  CHECK(resolve_model(id, cache) == repo / "snapshots/aaa111");  // refs/main
  write_text(repo / "refs/main", "gone999");
  CHECK(resolve_model(id, cache) == repo / "snapshots/bbb222");  // stale ref
  // Without a cache directory an id cannot be looked up, and the error says so.
  CHECK(resolve_error(id).find("no Hugging Face cache directory was given") != std::string::npos);
}

TEST_CASE("a model missing from the cache says how to get it") {
  fs::path cache = fresh_dir("hf_cache_empty");
  std::string e = resolve_error("nlpconnect/vit-gpt2-image-captioning", cache);
  CHECK(e.find("model 'nlpconnect/vit-gpt2-image-captioning' is neither a directory nor in the Hugging Face cache (" +
               cache.string() + ")") == 0);
  CHECK(e.find("huggingface-cli download nlpconnect/vit-gpt2-image-captioning") != std::string::npos);
  CHECK(e.find("git clone https://huggingface.co/nlpconnect/vit-gpt2-image-captioning") != std::string::npos);
  // Snapshots without a config.json (an interrupted download) do not count.
  write_text(cache / "models--nlpconnect--vit-gpt2-image-captioning/snapshots/abc/merges.txt", "");
  CHECK(resolve_error("nlpconnect/vit-gpt2-image-captioning", cache).find("huggingface-cli download") != std::string::npos);
}
