#include "cli/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "util/error.h"

namespace vkcap::cli {

namespace fs = std::filesystem;

namespace {

// Why FILE cannot be opened, in the words a person needs.
std::string open_failure(const std::string& path, int error) {
  const fs::path parent = fs::path(path).parent_path().empty() ? fs::path(".") : fs::path(path).parent_path();
  std::error_code ec;
  if (error == ENOENT && !fs::is_directory(parent, ec))
    return "-o " + path + ": the directory " + parent.string() + " does not exist";
  return "-o " + path + ": cannot open it for writing (" + std::strerror(error) + ")";
}

}  // namespace

OutputFile::OutputFile(const std::string& path) : path_(path), fd_(STDOUT_FILENO) {
  if (path.empty()) return;
  // O_RDWR: the records already there are read through the same (locked) descriptor.
  fd_ = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  created_ = fd_ >= 0;
  if (fd_ < 0 && errno == EEXIST) fd_ = ::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  if (fd_ < 0) throw InvalidArgumentError(open_failure(path, errno));
  name_ = path;
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && !S_ISREG(st.st_mode)) {
    ::close(fd_);
    throw InvalidArgumentError("-o " + path + ": not a regular file");
  }
  try {
    lock();
  } catch (...) {
    ::close(fd_);  // created_ is false when another run holds it: it created the file
    throw;
  }
}

void OutputFile::lock() {
  struct flock whole {};
  whole.l_type = F_WRLCK;
  whole.l_whence = SEEK_SET;
  if (::fcntl(fd_, F_SETLK, &whole) == 0) return;
  const int error = errno;
  struct flock holder = whole;
  std::string who = "another process";
  if (::fcntl(fd_, F_GETLK, &holder) == 0 && holder.l_type != F_UNLCK)
    who = "another vkcap run (pid " + std::to_string(holder.l_pid) + ")";
  if (error == EACCES || error == EAGAIN)
    throw InvalidArgumentError("-o " + path_ + ": " + who + " is writing to it; wait for it to finish, or give "
                               "another -o FILE (to split work across processes use separate files)");
  throw InvalidArgumentError("-o " + path_ + ": cannot lock it (" + std::strerror(error) + ")");
}

OutputFile::~OutputFile() {
  if (fd_ == STDOUT_FILENO) return;
  struct stat st {};
  if (created_ && ::fstat(fd_, &st) == 0 && st.st_size == 0) ::unlink(path_.c_str());
  ::close(fd_);
}

std::string OutputFile::read_all() const {
  std::string text;
  char buffer[1 << 16];
  for (off_t offset = 0;;) {
    const ssize_t n = ::pread(fd_, buffer, sizeof buffer, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw InvalidArgumentError("-o " + path_ + ": cannot read it to resume (" + std::strerror(errno) + ")");
    if (n == 0) return text;
    text.append(buffer, size_t(n));
    offset += n;
  }
}

void OutputFile::cut_to(size_t bytes) {
  if (::ftruncate(fd_, off_t(bytes)) != 0)
    throw Error(path_ + ": cannot cut the unfinished last record (" + std::strerror(errno) + ")");
}

}  // namespace vkcap::cli
