#include "kernels/host_pool.h"

#include <algorithm>
#include <utility>

namespace vkcap::kernels {

HostPool& HostPool::instance() {
  static HostPool pool(std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
  return pool;
}

HostPool::HostPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this](std::stop_token stop) { work(stop); });
}

HostPool::~HostPool() {
  for (std::jthread& w : workers_) w.request_stop();
  {
    std::lock_guard lock(mutex_);
    ++generation_;
  }
  wake_.notify_all();
}

// Takes task indices until none is left (mutex_ held on entry and exit).
void HostPool::take_tasks() {
  std::unique_lock lock(mutex_, std::adopt_lock);
  while (next_ < count_) {
    const int i = next_++;
    lock.unlock();
    try {
      (*task_)(i);
    } catch (...) {
      std::lock_guard relock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
    lock.lock();
  }
  lock.release();
}

void HostPool::work(const std::stop_token& stop) {
  unsigned seen = 0;
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return generation_ != seen || stop.stop_requested(); });
    if (stop.stop_requested()) return;
    seen = generation_;
    ++busy_;
    lock.release();
    take_tasks();
    lock = std::unique_lock(mutex_, std::adopt_lock);
    if (--busy_ == 0) finished_.notify_all();
  }
}

void HostPool::run(int count, const std::function<void(int)>& task) {
  if (count <= 0) return;
  std::lock_guard turn(run_mutex_);
  std::unique_lock lock(mutex_);
  task_ = &task;
  count_ = count;
  next_ = 0;
  error_ = nullptr;
  ++generation_;
  ++busy_;
  lock.unlock();
  wake_.notify_all();
  lock.lock();
  lock.release();
  take_tasks();
  lock = std::unique_lock(mutex_, std::adopt_lock);
  --busy_;
  // Workers that woke late find no task left and leave at once; wait for those still in a task.
  finished_.wait(lock, [&] { return busy_ == 0; });
  task_ = nullptr;
  count_ = 0;
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

}  // namespace vkcap::kernels
