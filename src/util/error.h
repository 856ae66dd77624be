#pragma once
// One exception type for everything vkcap reports to a person: the message is a complete,
// one-line sentence that names the file (or Vulkan call) and what was wrong with it.
// The types are the public ones (include/vkcap/error.h), so what the library throws is exactly
// what users catch.
#include "vkcap/error.h"
