// Runs every fuzz target over every file of its corpus directory once:
//   test_fuzz_replay <corpus root> [target ...]
// A target that crashes names the input it was given (from a signal handler, since the crash
// may leave nothing else working); an exception other than vkcap::Error escaping a target is a
// failure too (the targets catch only vkcap::Error). Exit code 0 when every input passed.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#define VKCAP_FUZZ_TARGET(name) extern "C" int vkcap_fuzz_##name(const uint8_t* data, size_t size);
#include "replay_targets.inc"
#undef VKCAP_FUZZ_TARGET

namespace {

namespace fs = std::filesystem;

struct Target {
  const char* name;
  int (*run)(const uint8_t*, size_t);
};

#define VKCAP_FUZZ_TARGET(name) {#name, vkcap_fuzz_##name},
constexpr Target kTargets[] = {
#include "replay_targets.inc"
};
#undef VKCAP_FUZZ_TARGET

char g_current[4096] = "";  // the input being run, for the signal handler

extern "C" void report_crash(int sig) {
  const char* prefix = "test_fuzz_replay: crashed on ";
  (void)!::write(2, prefix, std::strlen(prefix));
  (void)!::write(2, g_current, std::strlen(g_current));
  (void)!::write(2, "\n", 1);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

std::vector<uint8_t> read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <corpus root> [target ...]\n", argv[0]);
    return 2;
  }
  for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, report_crash);
  const fs::path root = argv[1];
  const std::vector<std::string> only(argv + 2, argv + argc);
  int failures = 0;
  size_t total = 0;
  for (const Target& target : kTargets) {
    if (!only.empty() && std::find(only.begin(), only.end(), target.name) == only.end()) continue;
    const fs::path dir = root / target.name;
    std::vector<fs::path> inputs;
    if (fs::is_directory(dir))
      for (const auto& entry : fs::directory_iterator(dir))
        if (entry.is_regular_file()) inputs.push_back(entry.path());
    std::sort(inputs.begin(), inputs.end());
    if (inputs.empty()) {
      std::fprintf(stderr, "%s: no corpus in %s\n", target.name, dir.c_str());
      ++failures;
      continue;
    }
    for (const fs::path& input : inputs) {
      std::snprintf(g_current, sizeof g_current, "%s", input.c_str());
      const std::vector<uint8_t> bytes = read_all(input);
      // A heap copy of exactly the input's size, as libFuzzer gives it (so that a sanitized
      // build catches reads past the end).
      std::unique_ptr<uint8_t[]> exact(new uint8_t[std::max<size_t>(bytes.size(), 1)]);
      std::copy(bytes.begin(), bytes.end(), exact.get());
      try {
        target.run(exact.get(), bytes.size());
      } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s: uncaught exception: %s\n", target.name, input.c_str(), e.what());
        ++failures;
      }
    }
    std::printf("%s: %zu inputs replayed\n", target.name, inputs.size());
    total += inputs.size();
  }
  std::printf("%zu inputs, %d failures\n", total, failures);
  return failures ? 1 : 0;
}
