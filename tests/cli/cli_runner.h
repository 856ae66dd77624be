#pragma once
// Runs the real vkcap binary the way a person would, and gives back its exit code, stdout and
// stderr separately. Each test works in its own temporary directory.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace vkcap::test {

namespace fs = std::filesystem;

inline const std::string kVkcap = VKCAP_BINARY_DIR "/vkcap";
inline const fs::path kFixtures = VKCAP_FIXTURES_DIR;

inline std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "vkcap-cli-XXXXXX").string();
    path = ::mkdtemp(t.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path operator/(const std::string& name) const { return path / name; }
};

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

// Starts `binary` (a vkcap executable) with `args`; stdout/stderr go to files in `dir`. Returns
// the child's pid.
inline pid_t spawn_program(const std::string& binary, const std::vector<std::string>& args, const fs::path& dir,
                           const std::string& stdin_text = "") {
  write_text(dir / ".stdin", stdin_text);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int in = ::open((dir / ".stdin").c_str(), O_RDONLY);
    const int out = ::open((dir / ".stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open((dir / ".stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(in, 0), ::dup2(out, 1), ::dup2(err, 2);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

// Starts the build tree's vkcap.
inline pid_t spawn_vkcap(const std::vector<std::string>& args, const fs::path& dir, const std::string& stdin_text = "") {
  return spawn_program(kVkcap, args, dir, stdin_text);
}

// The first validation message in a child's stderr ("" if none).
inline std::string child_validation_message(const std::string& err) {
  const size_t at = err.find("Vulkan validation:");
  return at == std::string::npos ? "" : err.substr(at, err.find('\n', at) - at);
}

// Waits for the child and collects its exit code and output, without judging them.
inline RunResult collect_vkcap(pid_t pid, const fs::path& dir) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_text(dir / ".stdout");
  r.err = read_text(dir / ".stderr");
  return r;
}

inline RunResult wait_vkcap(pid_t pid, const fs::path& dir) {
  RunResult r = collect_vkcap(pid, dir);
  // The children inherit VKCAP_VALIDATE=1 from ctest: a validation message there fails the test
  // that ran them, as one in this process would.
  if (const std::string message = child_validation_message(r.err); !message.empty()) {
    const std::string what = "the vkcap child process reported: " + message;
    ADD_FAIL_CHECK_AT(__FILE__, __LINE__, what);
  }
  return r;
}

inline RunResult run_vkcap(const std::vector<std::string>& args, const fs::path& dir, const std::string& stdin_text = "") {
  return wait_vkcap(spawn_vkcap(args, dir, stdin_text), dir);
}

inline nlohmann::json expected_json(const std::string& fixture) {
  return nlohmann::json::parse(read_text(kFixtures / fixture / "expected.json"));
}

// The greedy sequence (max_new_tokens 12) transformers gave for each fixture image, by file name.
inline std::vector<int32_t> greedy_tokens(const std::string& fixture, const std::string& file) {
  const nlohmann::json expected = expected_json(fixture);
  for (const auto& image : expected["images"])
    if (image["file"] == file) return image["greedy"]["sequence"].get<std::vector<int32_t>>();
  return {};
}
inline std::string greedy_text(const std::string& fixture, const std::string& file) {
  const nlohmann::json expected = expected_json(fixture);
  for (const auto& image : expected["images"])
    if (image["file"] == file) return image["greedy"]["text"].get<std::string>();
  return {};
}

// The fixture's images (img*.png), sorted.
inline std::vector<std::string> fixture_images(const std::string& fixture) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(kFixtures / fixture))
    if (e.path().extension() == ".png") names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// A copy of a model directory's files in `dir` without the ones `left_out` names.
inline fs::path copy_model_without(const fs::path& model, const fs::path& dir, const std::vector<std::string>& left_out) {
  fs::create_directories(dir);
  for (const auto& e : fs::directory_iterator(model))
    if (e.is_regular_file() && std::find(left_out.begin(), left_out.end(), e.path().filename()) == left_out.end())
      fs::copy_file(e.path(), dir / e.path().filename());
  return dir;
}

inline std::vector<nlohmann::json> parse_jsonl(const std::string& text) {
  std::vector<nlohmann::json> records;
  for (const std::string& line : lines_of(text)) records.push_back(nlohmann::json::parse(line));
  return records;
}

}  // namespace vkcap::test
