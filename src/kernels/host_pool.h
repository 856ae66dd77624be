// src/kernels/host_pool.h  (the host threads that run host steps' work in parallel)
#pragma once
// Host products run hundreds of times per image (every encoder layer's matrix products), so
// their threads are kept rather than started per product: one pool per process, sized to the
// machine's hardware threads, its workers asleep on a condition variable between runs.
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace vkcap::kernels {

class HostPool {
 public:
  // The process's pool (created on first use; hardware_concurrency() threads with the caller).
  static HostPool& instance();
  explicit HostPool(int threads);
  ~HostPool();
  HostPool(const HostPool&) = delete;
  HostPool& operator=(const HostPool&) = delete;

  int threads() const { return int(workers_.size()) + 1; }
  // Calls task(i) for every i in [0, count), spread over the workers and the calling thread,
  // and returns when all have returned. The first exception a task throws is rethrown here
  // (the other tasks still run). Calls from several threads at once take turns.
  void run(int count, const std::function<void(int)>& task);

 private:
  void work(const std::stop_token& stop);
  void take_tasks();

  std::mutex run_mutex_;  // one run at a time
  std::mutex mutex_;
  std::condition_variable wake_, finished_;
  const std::function<void(int)>* task_ = nullptr;
  int count_ = 0, next_ = 0, busy_ = 0;
  unsigned generation_ = 0;
  std::exception_ptr error_;
  std::vector<std::jthread> workers_;
};

}  // namespace vkcap::kernels
