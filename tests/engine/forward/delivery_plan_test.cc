// DeliveryPlan: the order batches come out in (priority classes, oldest or newest first, the
// starvation share), the low watermark and the settled-ahead runs, retention cuts.
#include "engine/forward/delivery_plan.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace spool::engine {
namespace {

std::vector<std::uint64_t> range(std::uint64_t first, std::uint64_t end) {
  std::vector<std::uint64_t> v(end - first);
  std::iota(v.begin(), v.end(), first);
  return v;
}

TEST(DeliveryPlan, OneClassOldestFirstIsOffsetOrder) {
  DeliveryPlan plan({.by_priority = true, .newest_first = false, .period = 10});
  plan.reset(100);
  for (std::uint64_t o = 100; o < 110; ++o) plan.add_pending(o, Priority::kNormal);
  EXPECT_EQ(plan.take(4), range(100, 104));
  EXPECT_EQ(plan.take(4), range(104, 108));
  EXPECT_EQ(plan.low(), 100u);  // nothing settled yet
  plan.settle(range(100, 104));
  EXPECT_EQ(plan.low(), 104u);
  EXPECT_EQ(plan.take(4), range(108, 110));
  EXPECT_TRUE(plan.take(4).empty());
  plan.settle(range(108, 110));
  EXPECT_EQ(plan.low(), 104u);  // 104..107 still in flight
  EXPECT_EQ(plan.settled_ahead_count(), 2u);
  EXPECT_EQ(plan.settled_ahead(), (std::vector<OffsetRun>{{108, 110}}));
  plan.settle(range(104, 108));
  EXPECT_EQ(plan.low(), 110u);
  EXPECT_EQ(plan.settled_ahead_count(), 0u);
  EXPECT_EQ(plan.settled_run_count(), 0u);
}

TEST(DeliveryPlan, HigherPrioritiesComeFirstAndTheCursorWaitsForTheRest) {
  DeliveryPlan plan({.by_priority = true, .newest_first = false, .period = 100});
  plan.reset(0);
  for (std::uint64_t o = 0; o < 20; ++o) {
    const Priority p = o % 10 == 9  ? Priority::kCritical
                       : o % 7 == 3 ? Priority::kHigh
                                    : Priority::kNormal;
    plan.add_pending(o, p);
  }
  plan.add_pending(20, Priority::kLow);
  EXPECT_EQ(plan.take(100), (std::vector<std::uint64_t>{9, 19}));
  EXPECT_EQ(plan.take(100), (std::vector<std::uint64_t>{3, 10, 17}));
  const std::vector<std::uint64_t> normal = plan.take(100);
  EXPECT_EQ(normal.size(), 15u);
  EXPECT_EQ(plan.take(100), (std::vector<std::uint64_t>{20}));
  EXPECT_TRUE(plan.take(100).empty());
  plan.settle(std::vector<std::uint64_t>{9, 19});
  EXPECT_EQ(plan.low(), 0u);
  EXPECT_EQ(plan.settled_ahead_count(), 2u);
  EXPECT_TRUE(plan.settled(9));
  EXPECT_FALSE(plan.settled(8));
  plan.settle(std::vector<std::uint64_t>{3, 10, 17});
  plan.settle(normal);
  EXPECT_EQ(plan.low(), 20u);
  plan.settle(std::vector<std::uint64_t>{20});
  EXPECT_EQ(plan.low(), 21u);
  EXPECT_EQ(plan.settled_ahead_count(), 0u);
}

TEST(DeliveryPlan, WithoutPrioritiesEveryRecordIsOneClass) {
  DeliveryPlan plan({.by_priority = false, .newest_first = false, .period = 100});
  plan.reset(0);
  plan.add_pending(0, Priority::kLow);
  plan.add_pending(1, Priority::kCritical);
  plan.add_pending(2, Priority::kNormal);
  EXPECT_EQ(plan.take(2), range(0, 2));
  EXPECT_EQ(plan.take(2), range(2, 3));
}

TEST(DeliveryPlan, NewestFirstTakesFromTheEndInAscendingBatches) {
  DeliveryPlan plan({.by_priority = true, .newest_first = true, .period = 100});
  plan.reset(0);
  for (std::uint64_t o = 0; o < 10; ++o) plan.add_pending(o, Priority::kNormal);
  EXPECT_EQ(plan.take(3), range(7, 10));
  EXPECT_EQ(plan.take(3), range(4, 7));
  plan.settle(range(4, 10));
  EXPECT_EQ(plan.low(), 0u);
  EXPECT_EQ(plan.settled_ahead(), (std::vector<OffsetRun>{{4, 10}}));
  EXPECT_EQ(plan.take(10), range(0, 4));
}

TEST(DeliveryPlan, EveryPeriodthBatchIsTheOldestOfAnyClass) {
  DeliveryPlan plan({.by_priority = true, .newest_first = false, .period = 3});
  plan.reset(0);
  for (std::uint64_t o = 0; o < 10; ++o) plan.add_pending(o, Priority::kLow);
  for (std::uint64_t o = 10; o < 100; ++o) plan.add_pending(o, Priority::kHigh);
  EXPECT_EQ(plan.take(5), range(10, 15));
  EXPECT_EQ(plan.take(5), range(15, 20));
  EXPECT_EQ(plan.take(5), range(0, 5));  // the starvation share: the oldest, a low record
  EXPECT_EQ(plan.take(5), range(20, 25));
}

TEST(DeliveryPlan, TooManySettledRunsForceOldestFirstUntilTheyMerge) {
  DeliveryPlan plan({.by_priority = true, .newest_first = false, .period = 1'000'000});
  plan.reset(0);
  const std::uint64_t n = 2 * (DeliveryPlan::kMaxSettledRuns + 10);
  for (std::uint64_t o = 0; o < n; ++o)
    plan.add_pending(o, o % 2 == 1 ? Priority::kCritical : Priority::kNormal);
  plan.settle(plan.take(n));  // every odd offset: one run each
  EXPECT_GT(plan.settled_run_count(), DeliveryPlan::kMaxSettledRuns);
  // Normal records are the only ones left either way; what matters is that the cursor moves.
  const std::vector<std::uint64_t> oldest = plan.take(40);  // 0, 2, ..., 78
  EXPECT_EQ(oldest.front(), 0u);
  EXPECT_EQ(oldest.back(), 78u);
  plan.settle(oldest);
  EXPECT_EQ(plan.low(), 80u);
}

TEST(DeliveryPlan, ResetKeepsSettledRunsFromTheCursorFileAndTheScanPassesThem) {
  DeliveryPlan plan;
  const std::vector<OffsetRun> ahead{{20, 25}, {5, 8}, {7, 9}, {30, 31}};
  plan.reset(5, ahead);  // {5,8} touches the low watermark: merged into it
  EXPECT_EQ(plan.low(), 9u);
  EXPECT_EQ(plan.settled_ahead(), (std::vector<OffsetRun>{{20, 25}, {30, 31}}));
  EXPECT_EQ(plan.settled_ahead_count(), 6u);
  EXPECT_EQ(plan.scanned_end(), 9u);
  EXPECT_TRUE(plan.settled(22));
  EXPECT_EQ(plan.pass_to(20), 11u);  // 9..19 had no record
  EXPECT_EQ(plan.low(), 25u);
  EXPECT_EQ(plan.pass_to(23), 0u);
  EXPECT_FALSE(plan.settled(25));
  plan.add_pending(25, Priority::kNormal);
  plan.settle_record(26);           // not selected
  EXPECT_EQ(plan.pass_to(31), 3u);  // 27..29 lost, 30 was settled
  EXPECT_EQ(plan.low(), 25u);
  EXPECT_EQ(plan.settled_ahead_count(), 5u);  // 26..30
  plan.settle(plan.take(10));
  EXPECT_EQ(plan.low(), 31u);
}

TEST(DeliveryPlan, GiveBackReturnsOffsetsToTheirClassInOrder) {
  DeliveryPlan plan({.by_priority = true, .newest_first = false, .period = 100});
  plan.reset(0);
  for (std::uint64_t o = 0; o < 6; ++o)
    plan.add_pending(o, o < 3 ? Priority::kHigh : Priority::kNormal);
  std::vector<std::uint64_t> high = plan.take(10);
  EXPECT_EQ(high, range(0, 3));
  plan.give_back(std::vector<std::uint64_t>{1, 2});
  EXPECT_EQ(plan.pending_count(), 5u);
  EXPECT_EQ(plan.take(10), range(1, 3));
  EXPECT_EQ(plan.take(10), range(3, 6));
}

TEST(DeliveryPlan, DropBelowCountsWhatWasNotSettled) {
  DeliveryPlan plan({.by_priority = true, .newest_first = false, .period = 100});
  plan.reset(0);
  for (std::uint64_t o = 0; o < 10; ++o)
    plan.add_pending(o, o == 4 ? Priority::kCritical : Priority::kNormal);
  plan.settle(plan.take(10));  // 4 delivered ahead
  EXPECT_EQ(plan.settled_ahead_count(), 1u);
  // Retention took 0..5 (plus 10..11, never scanned): 0..3 and 5 pending, 4 settled.
  EXPECT_EQ(plan.drop_below(6), 5u);
  EXPECT_EQ(plan.low(), 6u);
  EXPECT_EQ(plan.settled_ahead_count(), 0u);
  EXPECT_EQ(plan.pending_count(), 4u);
  EXPECT_EQ(plan.drop_below(12), 6u);  // 6..9 pending, 10..11 never scanned
  EXPECT_EQ(plan.pending_count(), 0u);
  EXPECT_EQ(plan.scanned_end(), 12u);
}

}  // namespace
}  // namespace spool::engine
