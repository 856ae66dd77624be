// Where vkcap looks for the bundled default model when no --model is given: VKCAP_DEFAULT_MODEL,
// else relative to the binary (the copy the build puts beside it; installed, share/vkcap/models).
// `vkcap info --json` reports the model directory it resolved without touching the GPU.
#include <doctest/doctest.h>

#include <cstdlib>
#include <optional>

#include "cli/cli_runner.h"

using namespace vkcap::test;

namespace {

const fs::path kBundled = fs::path(VKCAP_SOURCE_DIR) / "assets" / "models" / "vkcap-shapes";

// Sets (or unsets) one environment variable for the children of one test case, then puts the
// old value back.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value->c_str(), 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

fs::path model_reported_by(const RunResult& r) {
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  return nlohmann::json::parse(r.out).at("model").get<std::string>();
}

}  // namespace

TEST_CASE("without --model the build-tree binary uses the model copied beside it, not the source tree") {
  TempDir dir;
  ScopedEnv unset("VKCAP_DEFAULT_MODEL", std::nullopt);
  const fs::path copy = fs::path(VKCAP_BINARY_DIR) / "share" / "vkcap" / "models" / "vkcap-shapes";
  REQUIRE(fs::is_regular_file(copy / "config.json"));
  CHECK(model_reported_by(run_vkcap({"info", "--json"}, dir.path)) == fs::weakly_canonical(copy));
}

TEST_CASE("VKCAP_DEFAULT_MODEL names the default model's directory") {
  TempDir dir;
  const fs::path model = dir / "elsewhere";
  fs::copy(kBundled, model, fs::copy_options::recursive);
  ScopedEnv env("VKCAP_DEFAULT_MODEL", model.string());
  CHECK(model_reported_by(run_vkcap({"info", "--json"}, dir.path)) == fs::weakly_canonical(model));

  SUBCASE("--model still wins over it") {
    const fs::path fixture = kFixtures / "blip_tiny_a";
    CHECK(model_reported_by(run_vkcap({"info", "--json", "--model", fixture.string()}, dir.path)) ==
          fs::weakly_canonical(fixture));
  }
}

TEST_CASE("a VKCAP_DEFAULT_MODEL without a model is a one-line error naming it, with no fall back") {
  TempDir dir;
  const fs::path empty = dir / "empty";
  fs::create_directory(empty);
  ScopedEnv env("VKCAP_DEFAULT_MODEL", empty.string());
  const RunResult r = run_vkcap({"caption", (kFixtures / "blip_tiny_a" / "img0_80x56.png").string()}, dir.path);
  CHECK(r.exit_code == 2);  // no model to run: a usage error, found before anything loads
  CHECK(r.out.empty());
  CHECK(lines_of(r.err).size() == 1);
  CHECK(r.err.find("VKCAP_DEFAULT_MODEL=" + empty.string() + ": not a model directory") != std::string::npos);
  CHECK(r.err.find("--model") != std::string::npos);
}

TEST_CASE("a binary with no model near it says where it looked and what to do") {
  TempDir dir;
  fs::create_directories(dir / "prefix" / "bin");
  const fs::path binary = dir / "prefix" / "bin" / "vkcap";
  fs::copy_file(kVkcap, binary);
  ScopedEnv unset("VKCAP_DEFAULT_MODEL", std::nullopt);
  const RunResult r = wait_vkcap(spawn_program(binary.string(), {"info"}, dir.path), dir.path);
  CHECK(r.exit_code == 1);
  CHECK(lines_of(r.err).size() == 1);
  const fs::path prefix = fs::weakly_canonical(dir / "prefix");
  INFO(r.err);
  CHECK(r.err.find("the bundled default model 'vkcap-shapes' was not found") != std::string::npos);
  CHECK(r.err.find((prefix / "share" / "vkcap" / "models" / "vkcap-shapes").string()) != std::string::npos);
  CHECK(r.err.find((prefix / "bin" / "share" / "vkcap" / "models" / "vkcap-shapes").string()) != std::string::npos);
  CHECK(r.err.find("pass --model DIR or set VKCAP_DEFAULT_MODEL") != std::string::npos);
  CHECK(r.err.find(VKCAP_SOURCE_DIR "/assets") == std::string::npos);

  SUBCASE("and the same binary finds the model once it is installed beside it") {
    const fs::path installed = prefix / "share" / "vkcap" / "models" / "vkcap-shapes";
    fs::create_directories(installed.parent_path());
    fs::copy(kBundled, installed, fs::copy_options::recursive);
    TempDir cwd;
    const RunResult found = wait_vkcap(spawn_program(binary.string(), {"info", "--json"}, cwd.path), cwd.path);
    CHECK(model_reported_by(found) == installed);
  }
}
