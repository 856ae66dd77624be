#pragma once
// The vkcap subcommands. Each registers its options on a CLI11 subcommand and returns the
// function that runs it (exit code: 0 ok, 1 some inputs failed, 2 usage error).
#include <CLI/CLI.hpp>

#include <functional>

#include "cli/env_options.h"

namespace vkcap::cli {

using Run = std::function<int()>;

// --device and --profile (DeviceOptions, cli/env_options.h).
void add_device_options(CLI::App& command, DeviceOptions& options);

Run add_devices_command(CLI::App& app);
Run add_caption_command(CLI::App& app);
Run add_tokenize_command(CLI::App& app);
Run add_bench_command(CLI::App& app);
Run add_info_command(CLI::App& app);
Run add_merge_command(CLI::App& app);
Run add_selftest_command(CLI::App& app);

}  // namespace vkcap::cli
