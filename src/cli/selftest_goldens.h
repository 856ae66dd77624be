#pragma once
// Where `vkcap selftest` finds its end-to-end goldens: relative to the binary, installed in
// ../share/vkcap/selftest or copied next to it in the build tree (cmake/SelftestGoldens.cmake).
#include <filesystem>

namespace vkcap::cli {

// The goldens directory, or empty when neither place has one.
std::filesystem::path locate_selftest_goldens();

}  // namespace vkcap::cli
