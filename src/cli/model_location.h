#pragma once
// Where `--model` points: a directory, a Hugging Face model id found in the local cache, or,
// without --model, the bundled default model (VKCAP_DEFAULT_MODEL, else found relative to the
// binary: installed in ../share/vkcap/models, or copied next to it in the build tree).
#include <filesystem>
#include <string>

namespace vkcap::cli {

// Throws vkcap::Error saying how to get the model when it cannot be found.
std::filesystem::path locate_model(const std::string& spec, bool* used_default = nullptr);

// The running binary's directory (empty when /proc/self/exe is unreadable): bundled data is
// found relative to it, never through a path into the source tree.
std::filesystem::path executable_dir();

}  // namespace vkcap::cli
