// The host pool that runs host steps' work (kernels/host_pool.h) and the OpenBLAS thread setting
// host steps hold while they run (kernels/linear_host.h).
#include <doctest/doctest.h>

#include <cblas.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "kernels/host_pool.h"
#include "kernels/linear_host.h"

using namespace vkcap;

TEST_CASE("the host pool runs every task exactly once, on more than one thread when it has them") {
  kernels::HostPool pool(3);
  for (int count : {0, 1, 2, 7, 1000}) {
    std::vector<std::atomic<int>> runs(count);
    pool.run(count, [&](int i) { runs[i]++; });
    for (int i = 0; i < count; ++i) REQUIRE(runs[i].load() == 1);
  }
  std::atomic<int> distinct{0};
  std::vector<std::thread::id> seen(64);
  pool.run(64, [&](int i) {
    seen[i] = std::this_thread::get_id();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // let the workers take some
  });
  for (int i = 1; i < 64; ++i) distinct += seen[i] != seen[0];
  CHECK(distinct.load() > 0);
}

TEST_CASE("the host pool rethrows a task's exception after the other tasks ran, and stays usable") {
  kernels::HostPool pool(2);
  std::atomic<int> ran{0};
  CHECK_THROWS_WITH(pool.run(10,
                             [&](int i) {
                               ran++;
                               if (i == 3) throw std::runtime_error("task 3 failed");
                             }),
                    "task 3 failed");
  CHECK(ran.load() == 10);
  ran = 0;
  pool.run(5, [&](int) { ran++; });
  CHECK(ran.load() == 5);
}

TEST_CASE("runs from several threads at once take turns and all complete") {
  kernels::HostPool pool(2);
  std::atomic<int> total{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&] {
      for (int r = 0; r < 20; ++r) pool.run(17, [&](int) { total++; });
    });
  for (std::thread& c : callers) c.join();
  CHECK(total.load() == 4 * 20 * 17);
}

TEST_CASE("host steps hold OpenBLAS at one thread and give back the count they found") {
  openblas_set_num_threads(2);
  const int before = openblas_get_num_threads();  // 2, or 1 where OpenBLAS caps it (one core)
  {
    kernels::SingleThreadedBlas outer;
    CHECK(openblas_get_num_threads() == 1);
    {
      kernels::SingleThreadedBlas inner;  // another worker's host step at the same time
      CHECK(openblas_get_num_threads() == 1);
    }
    CHECK(openblas_get_num_threads() == 1);  // the outer holder is still alive
  }
  CHECK(openblas_get_num_threads() == before);
}
