#pragma once
// The few operating-system calls the caption command needs (POSIX here), in one place so a port
// touches only platform.cpp: terminals, whole-record writes, atomic file replacement, glob(3).
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace vkcap::cli {

bool is_terminal(std::FILE* stream);

// Writes all of `bytes` with as few write(2) calls as the kernel allows (one for a record of a
// few KiB), so a killed process leaves either the whole record or a torn last line, never a
// record interleaved with another. `sync` adds fdatasync (survives power loss, not just a crash).
void write_record(int fd, const std::string& bytes, bool sync, const std::string& name_for_errors);

// Replaces `path` with `content` atomically: a temporary file in the same directory, fsync,
// rename(2). Readers see the old file or the new one, never half of it. `mode`: the new file's
// permissions.
void replace_file_atomically(const std::filesystem::path& path, const std::string& content, unsigned mode = 0644);

// Ctrl-C (SIGINT) and SIGTERM as a request to stop after the current batch: the first one sets
// interrupt_requested() and prints a note; a second one ends the process at once (the records
// written so far stay whole either way, and a re-run resumes).
void stop_after_current_batch_on_interrupt();
bool interrupt_requested();

// Expands a shell pattern (*, ?, [...]) with glob(3); empty when nothing matches.
std::vector<std::string> glob_paths(const std::string& pattern);
bool has_glob_characters(const std::string& text);

}  // namespace vkcap::cli
