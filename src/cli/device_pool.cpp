#include "cli/device_pool.h"

#include <algorithm>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

#include "cli/env_options.h"
#include "util/error.h"
#include "vk/instance.h"

namespace vkcap::cli {

namespace fs = std::filesystem;

std::vector<std::string> device_workers(const std::string& spec) {
  if (spec != "all" && spec.find(',') == std::string::npos) return {spec};  // one device: Captioner checks it
  const vk::Instance instance(instance_options_from_environment());
  const std::vector<vk::DeviceInfo>& devices = instance.devices();
  std::vector<std::string> workers;
  if (spec == "all") {
    if (devices.empty()) throw InvalidArgumentError("--device all: no Vulkan device found");
    for (const vk::DeviceInfo& d : devices) workers.push_back(std::to_string(d.index));
    return workers;
  }
  for (const std::string& entry : split_commas(spec)) {
    if (entry.empty()) throw InvalidArgumentError("--device " + spec + ": an empty entry in the list");
    try {
      workers.push_back(std::to_string(vk::choose_device(devices, entry)));
    } catch (const InvalidArgumentError&) {
      throw;
    } catch (const Error& e) {
      throw InvalidArgumentError("--device " + spec + ": " + e.what());
    }
  }
  return workers;
}

DevicePool::DevicePool(const std::string& model, const std::vector<std::string>& devices,
                       const CaptionerOptions& options, const std::string& environment_faults)
    : devices_(devices), notice_(options.on_notice) {
  for (size_t i = 0; i < devices.size(); ++i) {
    CaptionerOptions worker = options;
    worker.device = devices[i];
    worker.fault_injection = fault_injection_for_worker(environment_faults, i);
    captioners_.push_back(std::make_unique<Captioner>(model, worker));
  }
  if (devices.size() > 1 && options.on_notice)
    options.on_notice(std::to_string(devices.size()) + " workers on devices " + [&] {
      std::string list;
      for (const std::string& d : devices) list += (list.empty() ? "" : ",") + d;
      return list;
    }());
}

DevicePool::~DevicePool() = default;

namespace {

void add_to(RunSummary& total, const RunSummary& part) {
  total.captioned += part.captioned;
  total.failed += part.failed;
  total.not_started += part.not_started;
  total.new_tokens += part.new_tokens;
  total.encode_ms += part.encode_ms;  // device time summed over the workers
  total.decode_ms += part.decode_ms;
  total.batch = std::min(total.batch, part.batch);
  total.device_lost = total.device_lost || part.device_lost;
  total.stopped = total.stopped || part.stopped;
}

// What the workers share: the queue (the next image not yet taken), the summary and the
// caller's callback, all under one lock.
struct SharedRun {
  std::span<const fs::path> images;
  const GenerationOptions& generation;
  const RunOptions& run;
  std::mutex lock;
  size_t next = 0;
  RunSummary total;
  std::exception_ptr failure;

  // The next `count` images (fewer at the end; none once stopped or done), with their offset.
  std::span<const fs::path> take(size_t count, size_t& offset) {
    std::lock_guard guard(lock);
    if (total.stopped || (run.stop_requested && run.stop_requested())) {
      total.stopped = true;
      return {};
    }
    offset = next;
    const size_t n = std::min(count, images.size() - next);
    next += n;
    return images.subspan(offset, n);
  }

  void deliver(ImageResult&& result) {
    std::lock_guard guard(lock);
    if (run.on_result) run.on_result(std::move(result));
  }
};

// One worker: batches from the queue until it is empty, the run is stopped or the device is lost.
void work(Captioner& captioner, size_t worker, const std::string& device, SharedRun& shared,
          const std::function<void(const std::string&)>& notice) {
  int batch = std::max(1, shared.run.batch);
  for (;;) {
    size_t offset = 0;
    const std::span<const fs::path> chunk = shared.take(size_t(batch), offset);
    if (chunk.empty()) return;
    RunOptions run;
    run.batch = batch;
    run.stop_requested = shared.run.stop_requested;
    run.on_result = [&](ImageResult&& result) {
      result.index += offset;  // a position in the whole list, as one worker would give
      shared.deliver(std::move(result));
    };
    const RunSummary part = captioner.caption_each(chunk, shared.generation, run);
    {
      std::lock_guard guard(shared.lock);
      add_to(shared.total, part);
    }
    batch = part.batch;  // out of memory made it smaller: it stays smaller on this device
    if (part.device_lost) {
      if (notice)
        notice("worker " + std::to_string(worker) + ": device " + device + " (" + captioner.device_name() +
               ") lost; this worker stops, the others go on");
      return;
    }
    if (part.stopped) return;
  }
}

}  // namespace

RunSummary DevicePool::caption_each(std::span<const fs::path> images, const GenerationOptions& generation,
                                    const RunOptions& run) {
  if (captioners_.size() == 1) return first().caption_each(images, generation, run);

  SharedRun shared{images, generation, run};
  shared.total.batch = std::max(1, run.batch);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < captioners_.size(); ++i)
    threads.emplace_back([&, i] {
      try {
        work(*captioners_[i], i, devices_[i], shared, notice_);
      } catch (...) {
        std::lock_guard guard(shared.lock);
        if (!shared.failure) shared.failure = std::current_exception();
      }
    });
  for (std::thread& t : threads) t.join();
  if (shared.failure) std::rethrow_exception(shared.failure);

  // Every device lost: what no worker took is reported, as one worker reports it.
  RunSummary& total = shared.total;
  for (size_t i = shared.next; i < images.size(); ++i) {
    if (total.stopped) {
      ++total.not_started;
      continue;
    }
    ImageResult result;
    result.index = i;
    result.image = images[i];
    result.error = images[i].string() + ": not run (device lost)";
    ++total.failed;
    if (run.on_result) run.on_result(std::move(result));
  }
  return total;
}

std::vector<KernelTime> DevicePool::kernel_times() const {
  std::map<std::string, KernelTime> by_kernel;
  for (const auto& captioner : captioners_)
    for (const KernelTime& t : captioner->kernel_times()) {
      KernelTime& sum = by_kernel[t.kernel];
      sum.kernel = t.kernel;
      sum.calls += t.calls;
      sum.total_ms += t.total_ms;
    }
  std::vector<KernelTime> times;
  for (auto& [name, t] : by_kernel) times.push_back(t);
  std::sort(times.begin(), times.end(), [](const KernelTime& a, const KernelTime& b) { return a.total_ms > b.total_ms; });
  return times;
}

}  // namespace vkcap::cli
