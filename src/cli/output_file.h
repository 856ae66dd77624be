#pragma once
// Where `vkcap caption` writes its records: stdout, or -o FILE held for the whole run. The file
// is opened for appending (never truncated) and locked (a POSIX record lock, released when the
// process ends however it ends): a second run given the same FILE is refused at once, naming
// the process that holds it, instead of captioning every image a second time.
#include <string>

namespace vkcap::cli {

class OutputFile {
 public:
  // "" = stdout. Throws InvalidArgumentError when FILE cannot be opened for writing (its
  // directory missing or read-only, a directory by that name) or another process holds it.
  explicit OutputFile(const std::string& path);
  ~OutputFile();  // a file this run created and left empty is removed again
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  int fd() const { return fd_; }
  const std::string& name() const { return name_; }
  bool is_file() const { return !path_.empty(); }

  std::string read_all() const;  // what FILE holds (read through the locked descriptor)
  void cut_to(size_t bytes);     // drops everything after `bytes` (a torn last line)

 private:
  void lock();
  std::string path_;
  int fd_;
  std::string name_ = "stdout";
  bool created_ = false;
};

}  // namespace vkcap::cli
