#pragma once
// vkcap reports every failure as an exception derived from vkcap::Error (a std::runtime_error).
// The message is one complete line that names the file (or Vulkan call), the field and the value
// that was wrong, e.g. "models/blip: no config.json (is this a Hugging Face model directory?)".
// Self-contained: needs only the standard library.
#include <stdexcept>
#include <string>

namespace vkcap {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Options or arguments that cannot work (an unknown preset, top_p outside [0, 1], more tokens
// than the model has positions): nothing was run. The vkcap tool exits with 2 for these.
class InvalidArgumentError : public Error {
 public:
  using Error::Error;
};

// Out of device (or host) memory while running on the GPU: callers may retry smaller (fewer
// images at once, fp16 weights, a smaller model).
class OutOfMemoryError : public Error {
 public:
  using Error::Error;
};

// The Vulkan device was lost (driver reset, GPU hang): the work in flight is gone, results that
// were already returned are not. The object that threw cannot be used again; make a new one.
class DeviceLostError : public Error {
 public:
  using Error::Error;
};

}  // namespace vkcap
