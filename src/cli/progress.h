#pragma once
// Progress on stderr: "done/total, images/s, ETA". Redrawn in place on a terminal; when forced
// on (--progress) while stderr is a file or pipe, one line every few seconds instead.
#include <chrono>
#include <cstddef>
#include <cstdio>

namespace vkcap::cli {

class Progress {
 public:
  Progress(size_t total, bool enabled, bool terminal, std::FILE* out = stderr)
      : total_(total), enabled_(enabled), terminal_(terminal), out_(out) {}
  void start() { start_ = std::chrono::steady_clock::now(); }  // after the model is loaded
  void update(size_t done, size_t failed);
  void finish();  // ends the in-place line so the summary starts on its own

 private:
  size_t total_;
  bool enabled_, terminal_, drawn_ = false;
  std::FILE* out_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_{};
};

}  // namespace vkcap::cli
