// Model location: a directory as is, or ORG/NAME from the Hugging Face cache.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "common/scoped_env.h"
#include "model/hf_cache.h"
#include "test_formats_util.h"
#include "util/error.h"

using namespace vkcap;
namespace fs = std::filesystem;
using vkcap::test::fresh_dir;
using vkcap::test::write_text;

namespace {

std::string resolve_error(const std::string& spec) {
  try {
    resolve_model(spec);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("an existing directory is used as is") {
  CHECK(resolve_model(VKCAP_FIXTURES_DIR "/blip_tiny_a") == fs::path(VKCAP_FIXTURES_DIR "/blip_tiny_a"));
  CHECK(resolve_error(VKCAP_FIXTURES_DIR "/blip_tiny_a/config.json").find("not a directory") != std::string::npos);
  CHECK(resolve_error("./no/such/dir").find("no such model directory") != std::string::npos);
}

TEST_CASE("the cache directory follows HF_HUB_CACHE, then HF_HOME, then XDG/home") {
  ScopedEnv a("HF_HUB_CACHE", "/x/hub-cache");
  ScopedEnv b("HUGGINGFACE_HUB_CACHE", nullptr);
  ScopedEnv c("HF_HOME", "/x/hf-home");
  CHECK(hf_hub_cache_dir() == fs::path("/x/hub-cache"));
  {
    ScopedEnv none("HF_HUB_CACHE", nullptr);
    CHECK(hf_hub_cache_dir() == fs::path("/x/hf-home/hub"));
    ScopedEnv no_home("HF_HOME", nullptr);
    ScopedEnv xdg("XDG_CACHE_HOME", nullptr);
    ScopedEnv home("HOME", "/home/someone");
    CHECK(hf_hub_cache_dir() == fs::path("/home/someone/.cache/huggingface/hub"));
  }
}

TEST_CASE("a model id resolves to the snapshot refs/main names, else the newest") {
  fs::path cache = fresh_dir("hf_cache");
  fs::path repo = cache / "models--Salesforce--blip-image-captioning-base";
  write_text(repo / "snapshots/aaa111/config.json", "{}");
  write_text(repo / "snapshots/bbb222/config.json", "{}");
  fs::last_write_time(repo / "snapshots/aaa111", fs::file_time_type::clock::now() - std::chrono::hours(2));
  fs::last_write_time(repo / "snapshots/bbb222", fs::file_time_type::clock::now() - std::chrono::hours(1));
  ScopedEnv env("HF_HUB_CACHE", cache.c_str());

  CHECK(resolve_model("Salesforce/blip-image-captioning-base") == repo / "snapshots/bbb222");  // newest
  write_text(repo / "refs/main", "aaa111\n");
  CHECK(resolve_model("Salesforce/blip-image-captioning-base") == repo / "snapshots/aaa111");  // refs/main
  write_text(repo / "refs/main", "gone999");
  CHECK(resolve_model("Salesforce/blip-image-captioning-base") == repo / "snapshots/bbb222");  // stale ref

  {
    ScopedEnv via_home("HF_HUB_CACHE", nullptr);
    ScopedEnv legacy("HUGGINGFACE_HUB_CACHE", nullptr);
    ScopedEnv home("HF_HOME", cache.parent_path().c_str());
    fs::rename(cache, cache.parent_path() / "hub");
    CHECK(resolve_model("Salesforce/blip-image-captioning-base").parent_path().parent_path().parent_path() ==
          cache.parent_path() / "hub");
    fs::rename(cache.parent_path() / "hub", cache);
  }
}

TEST_CASE("a model missing from the cache says how to get it") {
  fs::path cache = fresh_dir("hf_cache_empty");
  ScopedEnv env("HF_HUB_CACHE", cache.c_str());
  std::string e = resolve_error("nlpconnect/vit-gpt2-image-captioning");
  CHECK(e.find("model 'nlpconnect/vit-gpt2-image-captioning' is neither a directory nor in the Hugging Face cache (" +
               cache.string() + ")") == 0);
  CHECK(e.find("huggingface-cli download nlpconnect/vit-gpt2-image-captioning") != std::string::npos);
  CHECK(e.find("git clone https://huggingface.co/nlpconnect/vit-gpt2-image-captioning") != std::string::npos);
  // Snapshots without a config.json (an interrupted download) do not count.
  write_text(cache / "models--nlpconnect--vit-gpt2-image-captioning/snapshots/abc/merges.txt", "");
  CHECK(resolve_error("nlpconnect/vit-gpt2-image-captioning").find("huggingface-cli download") != std::string::npos);
}
