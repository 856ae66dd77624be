#include "cli/platform.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <glob.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "util/error.h"

namespace vkcap::cli {

bool is_terminal(std::FILE* stream) { return ::isatty(::fileno(stream)) == 1; }

namespace {

volatile std::sig_atomic_t g_interrupt_signal = 0;

extern "C" void on_interrupt(int signal) {
  if (g_interrupt_signal != 0) {  // the second one: stop now, as the signal would have
    std::signal(signal, SIG_DFL);
    std::raise(signal);
    return;
  }
  g_interrupt_signal = signal;
  static const char note[] = "\nvkcap: stopping after the current batch (again to stop at once)\n";
  [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, note, sizeof note - 1);  // async-signal-safe
}

}  // namespace

void stop_after_current_batch_on_interrupt() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

bool interrupt_requested() { return g_interrupt_signal != 0; }

void write_record(int fd, const std::string& bytes, bool sync, const std::string& name_for_errors) {
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(name_for_errors + ": cannot write (" + std::strerror(errno) + ")");
    }
    p += n;
    left -= size_t(n);
  }
  if (sync && ::fdatasync(fd) != 0 && errno != EINVAL && errno != EROFS)
    throw Error(name_for_errors + ": cannot sync (" + std::strerror(errno) + ")");
}

void replace_file_atomically(const std::filesystem::path& path, const std::string& content, unsigned mode) {
  std::string temp = path.string() + ".vkcap-XXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) throw Error(path.string() + ": cannot create a temporary file next to it (" + std::strerror(errno) + ")");
  try {
    write_record(fd, content, /*sync=*/true, temp);
  } catch (...) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  ::fchmod(fd, mode);  // mkstemp makes 0600; a caption file is as public as the image beside it
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(temp.c_str());
    throw Error(path.string() + ": cannot replace (" + std::strerror(e) + ")");
  }
}

bool has_glob_characters(const std::string& text) { return text.find_first_of("*?[") != std::string::npos; }

std::vector<std::string> glob_paths(const std::string& pattern) {
  glob_t g{};
  std::vector<std::string> out;
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);  // glob sorts them
  ::globfree(&g);
  return out;
}

}  // namespace vkcap::cli
