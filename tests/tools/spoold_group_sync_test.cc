#include "tools/spoold/group_sync.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace spool::tools {
namespace {

// Each caller "writes" (bumps `written`) and then syncs. A sync records how much was written
// when it started; every caller must come back only after a sync that started after its
// write, i.e. covered >= its own write number.
TEST(SpooldGroupSync, EveryCallerReturnsAfterASyncThatCoversItsWrites) {
  std::atomic<std::uint64_t> written{0};
  std::atomic<std::uint64_t> covered{0};
  GroupSync sync([&] {
    const std::uint64_t at_start = written.load();
    std::this_thread::sleep_for(std::chrono::microseconds(200));  // a sync takes a while
    std::uint64_t seen = covered.load();
    while (seen < at_start && !covered.compare_exchange_weak(seen, at_start)) {
    }
    return Status::ok();
  });
  constexpr int kThreads = 8;
  constexpr int kCalls = 200;
  std::atomic<int> uncovered{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCalls; ++i) {
        const std::uint64_t mine = ++written;
        EXPECT_TRUE(sync.sync());
        if (covered.load() < mine) ++uncovered;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(uncovered.load(), 0);
  EXPECT_GE(sync.syncs_run(), 1u);
  EXPECT_LE(sync.syncs_run(), std::uint64_t{kThreads} * kCalls);
}

TEST(SpooldGroupSync, ASyncErrorReachesItsCallers) {
  int calls = 0;
  GroupSync sync([&] {
    ++calls;
    return calls == 1 ? Status::io_error("fdatasync: EIO") : Status::ok();
  });
  const Status first = sync.sync();
  EXPECT_FALSE(first);
  EXPECT_NE(first.message().find("EIO"), std::string::npos);
  EXPECT_TRUE(sync.sync());  // a later sync's own result
  EXPECT_EQ(sync.syncs_run(), 2u);
}

}  // namespace
}  // namespace spool::tools
