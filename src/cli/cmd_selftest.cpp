// `vkcap selftest`: the shader unit checks of the test suite (src/checks) and end-to-end golden
// captions on the user's own device(s), so that a bug report carries the facts
// (docs/selftest.md).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "checks/golden_checks.h"
#include "checks/kernel_catalog.h"
#include "checks/subgroup_sizes.h"
#include "cli/commands.h"
#include "cli/selftest_goldens.h"
#include "cli/selftest_report.h"
#include "util/error.h"
#include "vk/context.h"
#include "vk/instance.h"

namespace vkcap::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct SelftestOptions {
  std::string device;
  bool quick = false;
  bool full = false;
  bool json = false;
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Test-only fault switch (docs/selftest.md): VKCAP_SELFTEST_PERTURB=FAMILY shifts the read-back
// outputs of that kernel family (or a golden's token ids, FAMILY=golden) before they are
// compared, proving that a wrong kernel makes the selftest fail and name the check.
std::string perturbed_family() {
  const char* env = std::getenv("VKCAP_SELFTEST_PERTURB");
  return env ? env : "";
}

// Runs one group of checks, turning an exception into a failed check that names the group.
std::vector<checks::CheckResult> run_group(const checks::CheckGroup& group, const checks::CheckRun& run) {
  const Clock::time_point start = Clock::now();
  std::vector<checks::CheckResult> results;
  try {
    results = group.run(run);
  } catch (const std::exception& e) {
    checks::CheckResult r;
    r.family = group.family;
    r.variant = group.variant;
    r.shape = "(did not run)";
    r.require(false, e.what());
    results = {r};
  }
  const double each = seconds_since(start) / double(results.size());
  for (checks::CheckResult& r : results) r.seconds = each;
  return results;
}

// The whole model on both kernel families, the Cpu one with each weight-fetch path the device
// has (fp32 weights: the goldens' token ids are exact for fp32 only).
std::vector<checks::GoldenSetting> golden_settings(const vk::DeviceInfo& info) {
  std::vector<checks::GoldenSetting> out{{"gpu", ""}};
  if (info.supports_cpu_variant() && info.subgroup_size >= 8) {
    out.push_back({"cpu", "addresses"});
    if (info.texel_formats) out.push_back({"cpu", "texels"});
  }
  return out;
}

bool is_default(const vk::DeviceInfo& info, const checks::GoldenSetting& s) {
  const bool cpu = info.preferred_variant() == vk::KernelVariant::Cpu;
  if ((s.kernels == "cpu") != cpu) return false;
  return !cpu || (s.weight_fetch == "texels") == info.texel_weights;
}

std::string golden_avoided_by(const vk::DeviceInfo& info, const checks::GoldenSetting& s) {
  if (s.kernels == "gpu") return info.supports_cpu_variant() ? "VKCAP_KERNELS=cpu" : "";
  return s.weight_fetch == "texels" ? "VKCAP_WEIGHT_FETCH=addresses or VKCAP_KERNELS=gpu"
                                    : "VKCAP_WEIGHT_FETCH=texels or VKCAP_KERNELS=gpu";
}

// quick: the device's own kernel configuration only (each other one compiles every pipeline
// of both models afresh).
void run_goldens(const vk::DeviceInfo& info, const std::filesystem::path& root, bool quick, const std::string& perturb,
                 bool validation, std::atomic<uint64_t>& messages, SelftestReport& report) {
  for (const std::filesystem::path& fixture : checks::golden_fixtures(root))
    for (const checks::GoldenSetting& setting : golden_settings(info)) {
      if (quick && !is_default(info, setting)) continue;
      const Clock::time_point start = Clock::now();
      std::vector<checks::CheckResult> results;
      try {
        // The tool's environment (validation, pipeline cache, vector width) on this device.
        CaptionerOptions base = captioner_options(DeviceOptions{});
        base.device = std::to_string(info.index);
        base.validation = validation;
        base.on_validation_message = [&messages](const std::string& text) {
          messages.fetch_add(1);
          std::fprintf(stderr, "Vulkan validation: %s\n", text.c_str());
        };
        results = checks::check_golden(fixture, std::move(base), setting, perturb);
      } catch (const std::exception& e) {
        checks::CheckResult r;
        r.family = "golden";
        r.variant = setting.name() + " f32";
        r.shape = fixture.filename().string() + " (did not run)";
        r.require(false, e.what());
        results = {r};
      }
      const double each = seconds_since(start) / double(results.size());
      for (checks::CheckResult& r : results) {
        r.seconds = each;
        r.subgroup_size = info.subgroup_size;  // the whole model, at the size vkcap runs at
        r.subgroup_size_required = info.required_subgroup_size != 0;
        report.check({info.index, r, is_default(info, setting), golden_avoided_by(info, setting)});
      }
    }
}

// A device opened at one subgroup size, with the kernel checks that exist there (a variant
// may need a range of sizes: the Cpu-shaped linear kernels 8..64).
struct SizedDevice {
  uint32_t size = 0;      // what its subgroup pipelines run at
  bool required = false;  // asked for through subgroup size control, not the driver's default
  std::unique_ptr<vk::Context> ctx;
  std::vector<checks::CheckGroup> groups;
};

// The `nth` group named like `like` (a family and variant may have several groups: linear's
// own cases and its folded layer norm).
const checks::CheckGroup* same_group(const std::vector<checks::CheckGroup>& groups, const checks::CheckGroup& like,
                                     size_t nth) {
  for (const checks::CheckGroup& g : groups)
    if (g.family == like.family && g.variant == like.variant && nth-- == 0) return &g;
  return nullptr;
}

// Each group at the first size; a group that asked for no subgroup kernel there does not depend
// on the size and is done, the others run at every other size too. A failure at some sizes
// only is avoided by one that passed (checks::subgroup_size_advice).
void run_kernel_checks(const std::vector<SizedDevice>& sized, const vk::DeviceInfo& info, bool quick,
                       const std::string& perturb, uint32_t default_size, uint32_t used_size, SelftestReport& report) {
  std::map<std::string, size_t> seen;  // groups so far per family and variant
  for (const checks::CheckGroup& group : checks::kernel_checks(info, quick)) {
    const size_t nth = seen[group.family + "/" + group.variant]++;
    std::vector<std::vector<checks::CheckResult>> runs;
    std::vector<uint32_t> passed;
    for (const SizedDevice& device : sized) {
      const checks::CheckGroup* here = same_group(device.groups, group, nth);
      if (!here) continue;
      const uint64_t before = device.ctx->subgroup_kernel_requests();
      std::vector<checks::CheckResult> results = run_group(*here, {*device.ctx, perturb});
      const bool uses_subgroups = device.ctx->subgroup_kernel_requests() != before;
      bool all_passed = true;
      for (checks::CheckResult& r : results) {
        all_passed = all_passed && r.pass;
        if (!uses_subgroups) continue;
        r.subgroup_size = device.size;
        r.subgroup_size_required = device.required;
      }
      if (all_passed) passed.push_back(device.size);
      runs.push_back(std::move(results));
      if (!uses_subgroups) break;
    }
    for (const std::vector<checks::CheckResult>& results : runs)
      for (const checks::CheckResult& r : results) {
        const bool sized_run = r.subgroup_size != 0;
        const bool device_default = group.device_default && (!sized_run || r.subgroup_size == used_size);
        const std::string advice = sized_run && runs.size() > 1
                                       ? checks::subgroup_size_advice(passed, default_size, group.avoided_by)
                                       : group.avoided_by;
        report.check({info.index, r, device_default, advice});
      }
  }
}

// One Context per subgroup size the device can be asked for (or one at its default size).
std::vector<SizedDevice> open_sized_devices(vk::ContextOptions options, const checks::SubgroupSizePlan& plan,
                                            bool quick) {
  std::vector<SizedDevice> sized;
  for (uint32_t size : plan.required.empty() ? std::vector<uint32_t>{0} : plan.required) {
    options.subgroup_size = size;
    SizedDevice device{size ? size : plan.default_size, size != 0, std::make_unique<vk::Context>(options), {}};
    device.groups = checks::kernel_checks(device.ctx->info(), quick);
    sized.push_back(std::move(device));
  }
  return sized;
}

void run_device(const vk::DeviceInfo& listed, bool quick, const std::string& perturb, SelftestReport& report) {
  std::atomic<uint64_t> messages{0};
  vk::ContextOptions options = context_options(DeviceOptions{});  // VKCAP_VALIDATE, the caches, ...
  options.device = std::to_string(listed.index);
  const bool validation = options.validation;
  options.on_validation_message = [&messages](std::string_view text) {
    messages.fetch_add(1);
    std::fprintf(stderr, "Vulkan validation: %.*s\n", static_cast<int>(text.size()), text.data());
  };
  const checks::SubgroupSizePlan plan = checks::subgroup_size_plan(listed);
  const uint32_t used_size = options.subgroup_size ? options.subgroup_size : plan.default_size;  // VKCAP_SUBGROUP_SIZE
  const std::vector<SizedDevice> sized = open_sized_devices(options, plan, quick);
  // The device as vkcap runs it (its kernel choices), at the size it runs at.
  vk::DeviceInfo info = sized.front().ctx->info();
  info.subgroup_size = used_size;
  info.required_subgroup_size = options.subgroup_size;
  const std::filesystem::path goldens = locate_selftest_goldens();
  DeviceReport device{&info, plan.describe(), "",
                      goldens.empty() ? "not found next to the binary (share/vkcap/selftest): skipped"
                                      : goldens.string()};
  if (info.is_cpu() && vk::cpu_vector_width_setup()) device.vector_width = vk::cpu_vector_width_setup()->describe();
  report.device(device);
  run_kernel_checks(sized, info, quick, perturb, plan.default_size, used_size, report);
  if (!goldens.empty()) run_goldens(info, goldens, quick, perturb, validation, messages, report);
  if (validation) {
    checks::CheckResult r;
    r.family = "validation";
    r.shape = "Khronos validation layer messages during the checks";
    r.require(messages.load() == 0, std::to_string(messages.load()) + " message(s) (printed on stderr)");
    report.check({info.index, r, true, ""});
  }
}

int run_selftest(const SelftestOptions& o) {
  const Clock::time_point start = Clock::now();
  std::vector<vk::DeviceInfo> chosen;
  {
    vk::Instance instance(instance_options_from_environment());
    const auto& devices = instance.devices();
    if (devices.empty()) throw Error("no Vulkan device found; on Debian/Ubuntu install mesa-vulkan-drivers (lavapipe)");
    if (o.device == "all") {
      chosen = devices;
    } else {
      try {
        chosen.push_back(devices[vk::choose_device(devices, o.device)]);
      } catch (const Error& e) {
        throw InvalidArgumentError(e.what());  // a --device that names no device: a usage error
      }
    }
  }
  // A quick run samples each family's cases; the default for all devices at once.
  const bool quick = o.quick || (o.device == "all" && !o.full);
  SelftestReport report(o.json);
  const std::string perturb = perturbed_family();
  for (const vk::DeviceInfo& device : chosen) {
    try {
      run_device(device, quick, perturb, report);
    } catch (const std::exception& e) {
      // A device that cannot even start fails its run; the other devices still run.
      checks::CheckResult r;
      r.family = "device";
      r.shape = device.name;
      r.require(false, e.what());
      report.check({device.index, r, true, ""});
    }
  }
  return report.finish(seconds_since(start));
}

}  // namespace

Run add_selftest_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "selftest", "run the shader checks and golden captions on your GPU (attach --json output to bug reports)");
  auto o = std::make_shared<SelftestOptions>();
  command->add_option("-d,--device", o->device, "GPU to test: index, name substring or 'all' (see 'vkcap devices')")
      ->envname("VKCAP_DEVICE");
  command->add_flag("--quick", o->quick, "a sample of each kernel's cases (default with --device all)");
  command->add_flag("--full", o->full, "every case, also with --device all")->excludes(command->get_option("--quick"));
  command->add_flag("--json", o->json, "one JSON document: the devices, a record per check, a summary");
  return [o] { return run_selftest(*o); };
}

}  // namespace vkcap::cli
