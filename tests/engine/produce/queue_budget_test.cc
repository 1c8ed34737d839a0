// engine/produce/queue_budget.h: halves under memory pressure down to the floor, doubles back after
// calm up to the ceiling, never oscillates on a steady reading, records every change.
#include "engine/produce/queue_budget.h"

#include <atomic>
#include <cstdint>
#include <limits>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace spool::engine {
namespace {

constexpr std::uint64_t kMiB = 1ull << 20;
constexpr std::uint64_t kGiB = 1ull << 30;

io::MemorySnapshot memory(std::uint64_t limit, std::uint64_t available) {
  io::MemorySnapshot s;
  s.limit_bytes = limit;
  s.available_bytes = available;
  s.used_bytes = limit - available;
  s.from_cgroup = true;
  return s;
}

// An 8 GiB machine: pressure below 819 MiB available, comfortable above 1.6 GiB (for
// budgets up to 400 MiB).
const io::MemorySnapshot kScarce = memory(8 * kGiB, 500 * kMiB);
const io::MemorySnapshot kPlenty = memory(8 * kGiB, 6 * kGiB);
const io::MemorySnapshot kMiddle = memory(8 * kGiB, 1 * kGiB);  // neither

using Sizes = std::vector<std::uint64_t>;

// What the budget resizes to while `s` is fed `n` times.
Sizes resizes_under(QueueBudget& b, const io::MemorySnapshot& s, int n) {
  Sizes to;
  for (int i = 1; i <= n; ++i) {
    if (auto r = b.update(s, i)) to.push_back(r->to_bytes);
  }
  return to;
}

// Feeds `s` until the budget moves (at most `limit` updates); returns how many it took.
int updates_until_resize(QueueBudget& b, const io::MemorySnapshot& s, int limit = 100) {
  for (int i = 1; i <= limit; ++i) {
    if (b.update(s, i)) return i;
  }
  return -1;
}

TEST(QueueBudget, StartsAtTheMaximumWithNoResizes) {
  QueueBudget b(64 * kMiB, 4 * kMiB);
  EXPECT_EQ(b.current(), 64 * kMiB);
  EXPECT_EQ(b.resizes(), 0u);
  EXPECT_EQ(b.last_resize().time_ns, 0);
  EXPECT_EQ(b.max_bytes(), 64 * kMiB);
  EXPECT_EQ(b.min_bytes(), 4 * kMiB);
}

TEST(QueueBudget, PlentyOfMemoryChangesNothing) {
  QueueBudget b(64 * kMiB, 4 * kMiB);
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(b.update(kPlenty, i + 1));
  EXPECT_EQ(b.current(), 64 * kMiB);
  EXPECT_EQ(b.resizes(), 0u);
}

TEST(QueueBudget, HalvesUnderPressure) {
  QueueBudget b(64 * kMiB, 4 * kMiB);
  auto r = b.update(kScarce, 1000);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->from_bytes, 64 * kMiB);
  EXPECT_EQ(r->to_bytes, 32 * kMiB);
  EXPECT_EQ(b.current(), 32 * kMiB);
}

TEST(QueueBudget, ABudgetTooLargeForWhatIsLeftIsPressure) {
  // 1 GiB limit, 120 MiB available: more than a tenth left, but a full 64 MiB budget would
  // take over half of it.
  QueueBudget b(64 * kMiB, 4 * kMiB);
  auto r = b.update(memory(1 * kGiB, 120 * kMiB), 1);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->to_bytes, 32 * kMiB);
  // 32 MiB fits twice into 120 MiB: no more pressure from the budget term.
  EXPECT_FALSE(b.update(memory(1 * kGiB, 120 * kMiB), 2));
  EXPECT_EQ(b.current(), 32 * kMiB);
}

TEST(QueueBudget, NeverBelowTheMinimum) {
  QueueBudget b(64 * kMiB, 4 * kMiB);
  EXPECT_EQ(resizes_under(b, kScarce, 20), (Sizes{32 * kMiB, 16 * kMiB, 8 * kMiB, 4 * kMiB}));
  EXPECT_EQ(b.current(), 4 * kMiB);
  EXPECT_EQ(b.resizes(), 4u);
}

TEST(QueueBudget, AMinimumOffTheHalvingStepsIsStillTheFloor) {
  QueueBudget b(64 * kMiB, 5 * kMiB);
  EXPECT_EQ(resizes_under(b, kScarce, 20), (Sizes{32 * kMiB, 16 * kMiB, 8 * kMiB, 5 * kMiB}));
}

TEST(QueueBudget, GrowsBackAfterCalmOneDoublingAtATime) {
  QueueBudget b(64 * kMiB, 4 * kMiB);
  resizes_under(b, kScarce, 20);  // down to the floor
  ASSERT_EQ(b.current(), 4 * kMiB);
  for (std::uint64_t expected : {8 * kMiB, 16 * kMiB, 32 * kMiB, 64 * kMiB}) {
    EXPECT_EQ(updates_until_resize(b, kPlenty), QueueBudget::kCalmUpdatesToGrow);
    EXPECT_EQ(b.current(), expected);
  }
  // At the ceiling: calm changes nothing more.
  EXPECT_EQ(updates_until_resize(b, kPlenty), -1);
  EXPECT_EQ(b.current(), 64 * kMiB);
}

TEST(QueueBudget, NeverAboveAMaximumOffTheDoublingSteps) {
  QueueBudget b(48 * kMiB, 4 * kMiB);
  resizes_under(b, kScarce, 20);  // 48, 24, 12, 6, 4
  ASSERT_EQ(b.current(), 4 * kMiB);
  EXPECT_EQ(resizes_under(b, kPlenty, 100), (Sizes{8 * kMiB, 16 * kMiB, 32 * kMiB, 48 * kMiB}));
}

TEST(QueueBudget, CalmMustLastTheWholeStreak) {
  for (const io::MemorySnapshot& interruption : {kMiddle, kScarce}) {
    QueueBudget b(64 * kMiB, 4 * kMiB);
    resizes_under(b, kScarce, 20);
    for (int i = 0; i < QueueBudget::kCalmUpdatesToGrow - 1; ++i) {
      EXPECT_FALSE(b.update(kPlenty, 2));
    }
    b.update(interruption, 3);  // starts the count again (and shrinks nothing: at the floor)
    EXPECT_EQ(b.current(), 4 * kMiB);
    for (int i = 0; i < QueueBudget::kCalmUpdatesToGrow - 1; ++i) {
      EXPECT_FALSE(b.update(kPlenty, 4));
    }
    EXPECT_TRUE(b.update(kPlenty, 5));
    EXPECT_EQ(b.current(), 8 * kMiB);
  }
}

TEST(QueueBudget, RecordsEveryResize) {
  QueueBudget b(64 * kMiB, 4 * kMiB);
  auto shrink = b.update(memory(8 * kGiB, 300 * kMiB), 111);
  ASSERT_TRUE(shrink);
  EXPECT_EQ(b.resizes(), 1u);
  BudgetResize last = b.last_resize();
  EXPECT_EQ(last.time_ns, 111);
  EXPECT_EQ(last.from_bytes, 64 * kMiB);
  EXPECT_EQ(last.to_bytes, 32 * kMiB);
  EXPECT_EQ(last.available_bytes, 300 * kMiB);
  EXPECT_EQ(shrink->time_ns, last.time_ns);
  EXPECT_EQ(shrink->to_bytes, last.to_bytes);

  EXPECT_FALSE(b.update(kPlenty, 200));
  EXPECT_FALSE(b.update(kPlenty, 201));
  auto grow = b.update(kPlenty, 202);
  ASSERT_TRUE(grow);
  EXPECT_EQ(b.resizes(), 2u);
  last = b.last_resize();
  EXPECT_EQ(last.time_ns, 202);
  EXPECT_EQ(last.from_bytes, 32 * kMiB);
  EXPECT_EQ(last.to_bytes, 64 * kMiB);
  EXPECT_EQ(last.available_bytes, 6 * kGiB);

  // Updates that change nothing leave the record alone.
  EXPECT_FALSE(b.update(kPlenty, 300));
  EXPECT_EQ(b.resizes(), 2u);
  EXPECT_EQ(b.last_resize().time_ns, 202);
}

// For every steady reading, from scarce to plentiful and from any starting budget, the
// budget moves in one direction only and then stays put. The small limits make the budget
// terms of the thresholds decide, the large ones the fractions of the limit.
TEST(QueueBudget, ASteadyReadingNeverOscillates) {
  for (const std::uint64_t limit : {96 * kMiB, 256 * kMiB, 1 * kGiB, 8 * kGiB}) {
    for (std::uint64_t available = 0; available <= limit; available += limit / 1000 + 1) {
      for (int start_shrinks = 0; start_shrinks <= 4; ++start_shrinks) {
        SCOPED_TRACE(::testing::Message() << "limit=" << limit << " available=" << available
                                          << " start_shrinks=" << start_shrinks);
        QueueBudget b(64 * kMiB, 4 * kMiB);
        for (int i = 0; i < start_shrinks; ++i) ASSERT_TRUE(b.update(memory(limit, 0), 1));
        bool shrank = false;
        bool grew = false;
        int last_change = 0;
        const io::MemorySnapshot steady = memory(limit, available);
        for (int i = 1; i <= 60; ++i) {
          if (auto r = b.update(steady, i)) {
            (r->to_bytes < r->from_bytes ? shrank : grew) = true;
            last_change = i;
          }
        }
        ASSERT_FALSE(shrank && grew);
        // 4 halvings, or 4 doublings of kCalmUpdatesToGrow updates each, at the most.
        ASSERT_LE(last_change, 4 * QueueBudget::kCalmUpdatesToGrow);
      }
    }
  }
}

TEST(QueueBudget, AMinimumAboveTheMaximumPinsTheBudget) {
  QueueBudget b(8 * kMiB, 16 * kMiB);
  EXPECT_EQ(b.min_bytes(), 8 * kMiB);
  EXPECT_FALSE(b.update(kScarce, 1));
  EXPECT_EQ(b.current(), 8 * kMiB);
}

TEST(QueueBudget, AZeroMinimumStillLeavesOneByte) {
  QueueBudget b(1024, 0);
  for (int i = 0; i < 20; ++i) b.update(memory(1 * kGiB, 0), i + 1);
  EXPECT_EQ(b.current(), 1u);
}

TEST(QueueBudget, HugeBudgetsDoNotWrapAround) {
  // Twice 2^63 does not fit in 64 bits; wrapped to 0 it would hide the pressure.
  QueueBudget b(1ull << 63, 1);
  auto r = b.update(memory(1024 * kGiB, 1024 * kGiB), 1);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->to_bytes, 1ull << 62);

  QueueBudget top(std::numeric_limits<std::uint64_t>::max(), 1);
  const auto all = std::numeric_limits<std::uint64_t>::max();
  EXPECT_FALSE(top.update(memory(all, all), 1));
}

TEST(QueueBudget, ProducersReadAValidBudgetWhileTheWriterResizes) {
  QueueBudget b(64 * kMiB, 4 * kMiB);
  std::atomic<bool> done{false};
  std::atomic<bool> bad{false};
  std::thread reader([&] {
    while (!done.load(std::memory_order_acquire)) {
      const std::uint64_t v = b.current();
      if (v < 4 * kMiB || v > 64 * kMiB) bad.store(true);
    }
  });
  for (int round = 0; round < 200; ++round) {
    b.update(round % 20 < 10 ? kScarce : kPlenty, round + 1);
    (void)b.last_resize();
  }
  done.store(true, std::memory_order_release);
  reader.join();
  EXPECT_FALSE(bad.load());
  EXPECT_GT(b.resizes(), 0u);
}

}  // namespace
}  // namespace spool::engine
