#include "cli/notice.h"

#include <cstdarg>

namespace vkcap::cli {

void print_notice(std::FILE* stream, const char* format, ...) {
  if (!stream) return;
  std::va_list args;
  va_start(args, format);
  std::fputs("vkcap: ", stream);
  std::vfprintf(stream, format, args);
  std::fputc('\n', stream);
  va_end(args);
}

}  // namespace vkcap::cli
