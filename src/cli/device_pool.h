#pragma once
// `vkcap caption --device all | 0,2,3 | 0,0`: one worker per listed device, each with its own
// vkcap::Captioner (its own copy of the model, its own batch), all taking a batch's worth of
// images at a time from one shared queue; results reach one callback, one at a time. A worker
// whose device is lost stops (its in-flight images come back as error records) and the others
// finish the run. With one device there are no threads: caption_each runs on the caller's.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "vkcap/captioner.h"

namespace vkcap::cli {

// The devices a --device value (or VKCAP_DEVICE) names, one entry per worker: "all" = every
// Vulkan device, "0,2,3" = those, "0,0" = two workers on device 0; a single index or name gives
// one entry, as before. Checked against the devices present: throws InvalidArgumentError for a
// device that is not there, before any model is loaded. Empty `spec`: one entry, the default.
std::vector<std::string> device_workers(const std::string& spec);

class DevicePool {
 public:
  // One Captioner per entry of `devices`, each with `options` but its own device and its own
  // part of the fault injection (VKCAP_FAULT_INJECT=W:KIND@N). `environment_faults` is the
  // variable's whole value.
  DevicePool(const std::string& model, const std::vector<std::string>& devices, const CaptionerOptions& options,
             const std::string& environment_faults);
  ~DevicePool();

  // The first worker's Captioner: the model's settings and shapes (every worker has the same).
  Captioner& first() { return *captioners_.front(); }
  size_t size() const { return captioners_.size(); }

  // Captioner::caption_each over every worker. `run.on_result` is called under a lock (never
  // twice at once), in completion order across workers; `run.stop_requested` stops every worker
  // before its next batch. The summary adds up the workers'.
  RunSummary caption_each(std::span<const std::filesystem::path> images, const GenerationOptions& generation,
                          const RunOptions& run);

  // Per-kernel GPU time over all workers (CaptionerOptions::profile), most expensive first.
  std::vector<KernelTime> kernel_times() const;

 private:
  std::vector<std::unique_ptr<Captioner>> captioners_;
  std::vector<std::string> devices_;
  std::function<void(const std::string&)> notice_;
};

}  // namespace vkcap::cli
