#pragma once
// One exception type for everything vkcap reports to a person: the message is a complete,
// one-line sentence that names the file (or Vulkan call) and what was wrong with it.
#include <stdexcept>
#include <string>

namespace vkcap {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Out of device (or host) memory while running on the GPU: callers may retry smaller.
class OutOfMemoryError : public Error {
 public:
  using Error::Error;
};

// The Vulkan device was lost; the work in flight is gone but finished results are not.
class DeviceLostError : public Error {
 public:
  using Error::Error;
};

}  // namespace vkcap
