// vkcap: caption images on any Vulkan GPU. This file wires the subcommands together and maps
// errors to exit codes; each subcommand lives in its own file.
#include <cstdio>
#include <map>

#include "cli/commands.h"
#include "util/error.h"

int main(int argc, char** argv) {
  CLI::App app{"vkcap " VKCAP_VERSION " - image captioning on any Vulkan GPU", "vkcap"};
  app.set_version_flag("-V,--version", "vkcap " VKCAP_VERSION);
  app.require_subcommand(1);
  std::map<const CLI::App*, vkcap::cli::Run> runs;
  auto add = [&](vkcap::cli::Run run) { runs[app.get_subcommands({}).back()] = std::move(run); };
  add(vkcap::cli::add_caption_command(app));
  add(vkcap::cli::add_tokenize_command(app));
  add(vkcap::cli::add_bench_command(app));
  add(vkcap::cli::add_devices_command(app));
  add(vkcap::cli::add_info_command(app));
  add(vkcap::cli::add_merge_command(app));
  add(vkcap::cli::add_selftest_command(app));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string message = e.what();
    std::string names;
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands({})) {
      names += (names.empty() ? "" : ", ") + sub->get_name();
      if (argc >= 2 && sub->get_name() == argv[1]) known = true;
    }
    if (argc >= 2 && argv[1][0] != '-' && !known) {
      std::fprintf(stderr, "vkcap: unknown command '%s' (commands: %s)\n", argv[1], names.c_str());
      return 2;
    }
    if (argc < 2) {
      std::fputs(app.help().c_str(), stderr);
      return 2;
    }
    std::fprintf(stderr, "vkcap: %s (see 'vkcap --help')\n", message.c_str());
    return 2;
  }
  try {
    for (const CLI::App* sub : app.get_subcommands())
      if (auto it = runs.find(sub); it != runs.end()) return it->second();
  } catch (const vkcap::InvalidArgumentError& e) {
    std::fprintf(stderr, "vkcap: %s\n", e.what());
    return 2;
  } catch (const vkcap::Error& e) {
    std::fprintf(stderr, "vkcap: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vkcap: internal error: %s\n", e.what());
    return 1;
  }
  return 2;
}
