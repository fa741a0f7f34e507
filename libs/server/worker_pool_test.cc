#include "libs/server/worker_pool.h"

#include <atomic>
#include <future>

#include "gtest/gtest.h"

namespace quxiang::server {
namespace {

TEST(WorkerPool, RunsSubmittedTasks) {
  std::atomic<int> done{0};
  {
    WorkerPool pool(2, 10);
    for (int i = 0; i < 10; ++i) EXPECT_TRUE(pool.TrySubmit([&] { ++done; }));
    pool.Drain();
  }
  EXPECT_EQ(done.load(), 10);
}

TEST(WorkerPool, FullQueueRefused) {
  WorkerPool pool(1, 1);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> started;
  EXPECT_TRUE(pool.TrySubmit([&, gate] {
    started.set_value();
    gate.wait();
  }));
  started.get_future().wait();
  EXPECT_TRUE(pool.TrySubmit([gate] { gate.wait(); }));
  EXPECT_FALSE(pool.TrySubmit([] {}));
  release.set_value();
  pool.Drain();
}

TEST(WorkerPool, DrainFinishesQueuedTasks) {
  std::atomic<int> done{0};
  WorkerPool pool(1, 100);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(pool.TrySubmit([&] { ++done; }));
  pool.Drain();
  EXPECT_EQ(done.load(), 50);
  EXPECT_FALSE(pool.TrySubmit([] {}));
}

}  // namespace
}  // namespace quxiang::server
