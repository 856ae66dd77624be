#pragma once
// Notices for people on stderr ("vkcap: ..."): what vkcap chose or skipped, not errors. A null
// stream is -q/--quiet: the notice is dropped.
#include <cstdio>

namespace vkcap::cli {

void print_notice(std::FILE* stream, const char* format, ...) __attribute__((format(printf, 2, 3)));

}  // namespace vkcap::cli
