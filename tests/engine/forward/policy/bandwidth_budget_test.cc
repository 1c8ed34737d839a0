// engine/forward/policy/bandwidth_budget.h with an explicit clock: the token bucket (starts
// full, refills at the rate up to the burst, goes into debt after a send and makes the next
// one wait exactly until it has refilled), estimates, the daily cap's tiers (any batch, then
// only critical batches from the reserve, then nothing), the UTC day's rollover, restore()
// and can_send's answers (allowed, wait_until, reason).
#include "engine/forward/policy/bandwidth_budget.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace spool::engine {
namespace {

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kSecond = 1'000 * kMs;
constexpr std::int64_t kDay = 86'400 * kSecond;
// 2026-03-10 00:00:00 UTC, a day boundary.
constexpr std::int64_t kMidnight = 20'522 * kDay;

// Monotonic time starts at 1000 s; wall time `wall_offset` after kMidnight.
BudgetTime at(std::int64_t monotonic, std::int64_t wall_offset = 12 * 3600 * kSecond) {
  return BudgetTime{1'000 * kSecond + monotonic, kMidnight + wall_offset};
}

BandwidthOptions rate(std::uint64_t bytes_per_s, std::uint64_t burst = 0) {
  BandwidthOptions o;
  o.rate_limit_bytes_per_s = bytes_per_s;
  o.burst_bytes = burst;
  return o;
}

BandwidthOptions cap(std::uint64_t daily, std::uint64_t reserve = 0) {
  BandwidthOptions o;
  o.daily_cap_bytes = daily;
  o.critical_reserve_bytes = reserve;
  return o;
}

TEST(BandwidthBudgetTest, WithoutLimitsEverySendIsAllowed) {
  BandwidthBudget b(BandwidthOptions{}, at(0).monotonic_ns);
  EXPECT_FALSE(b.rate_limited());
  for (int i = 0; i < 10; ++i) {
    const BudgetDecision d = b.can_send(1'000'000, Priority::kLow, at(0));
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.wait_until_ns, 0);
    EXPECT_EQ(d.reason, BudgetHold::kNone);
    b.charge(1'000'000, at(0));
  }
  // Still counted: the day's spend is a figure even without a cap.
  EXPECT_EQ(b.usage(at(0).wall_ns).spent_bytes, 10'000'000u);
  EXPECT_EQ(b.usage(at(0).wall_ns).cap_state(utc_day(at(0).wall_ns)), DailyCapState::kOff);
}

TEST(BandwidthBudgetTest, BucketStartsFullWithADefaultBurstOfOneSecond) {
  BandwidthBudget b(rate(1'000), at(0).monotonic_ns);
  EXPECT_TRUE(b.rate_limited());
  EXPECT_EQ(b.burst_bytes(), 1'000u);
  EXPECT_DOUBLE_EQ(b.balance(at(0).monotonic_ns), 1'000.0);
  BandwidthBudget explicit_burst(rate(1'000, 250), at(0).monotonic_ns);
  EXPECT_EQ(explicit_burst.burst_bytes(), 250u);
  EXPECT_DOUBLE_EQ(explicit_burst.balance(at(0).monotonic_ns), 250.0);
}

TEST(BandwidthBudgetTest, RefillsAtTheRateUpToTheBurst) {
  BandwidthBudget b(rate(1'000, 2'000), at(0).monotonic_ns);
  b.charge(2'000, at(0));
  EXPECT_DOUBLE_EQ(b.balance(at(0).monotonic_ns), 0.0);
  EXPECT_DOUBLE_EQ(b.balance(at(500 * kMs).monotonic_ns), 500.0);
  EXPECT_DOUBLE_EQ(b.balance(at(1'500 * kMs).monotonic_ns), 1'500.0);
  EXPECT_DOUBLE_EQ(b.balance(at(2 * kSecond).monotonic_ns), 2'000.0);
  EXPECT_DOUBLE_EQ(b.balance(at(60 * kSecond).monotonic_ns), 2'000.0);  // never above the burst
}

TEST(BandwidthBudgetTest, AChargeBeyondTheBalanceIsDebtTheNextSendWaitsOut) {
  BandwidthBudget b(rate(1'000), at(0).monotonic_ns);
  ASSERT_TRUE(b.can_send(0, Priority::kNormal, at(0)).allowed);
  // The sink put 3000 bytes on the wire: 2000 more than the bucket held.
  b.charge(3'000, at(0));
  EXPECT_DOUBLE_EQ(b.balance(at(0).monotonic_ns), -2'000.0);
  const BudgetDecision d = b.can_send(0, Priority::kNormal, at(0));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, BudgetHold::kRateLimit);
  EXPECT_EQ(d.wait_until_ns, at(2 * kSecond).monotonic_ns);  // 2000 bytes at 1000 B/s
  EXPECT_FALSE(b.can_send(0, Priority::kNormal, at(1'999 * kMs)).allowed);
  const BudgetDecision later = b.can_send(0, Priority::kNormal, at(2 * kSecond));
  EXPECT_TRUE(later.allowed);
  EXPECT_EQ(later.reason, BudgetHold::kNone);
}

TEST(BandwidthBudgetTest, ASteadyBacklogDrainsAtTheRate) {
  // Sends of 300 bytes whenever allowed, for 10 s: burst + rate * 10 s + one send at most.
  BandwidthBudget b(rate(1'000, 500), at(0).monotonic_ns);
  std::int64_t now = 0;
  std::uint64_t sent = 0;
  while (now < 10 * kSecond) {
    const BudgetDecision d = b.can_send(0, Priority::kNormal, at(now));
    if (!d.allowed) {
      ASSERT_GT(d.wait_until_ns, at(now).monotonic_ns);
      now = d.wait_until_ns - at(0).monotonic_ns;
      continue;
    }
    b.charge(300, at(now));
    sent += 300;
  }
  EXPECT_GE(sent, 10'000u);
  EXPECT_LE(sent, 500u + 10'000u + 300u);
}

TEST(BandwidthBudgetTest, PayloadPerSendFollowsTheWireBytesPerPayloadByte) {
  BandwidthBudget none(BandwidthOptions{}, at(0).monotonic_ns);
  EXPECT_EQ(none.payload_per_send(), 0u);  // no rate limit: no bound
  BandwidthBudget b(rate(1'000, 3'000), at(0).monotonic_ns);
  EXPECT_EQ(b.payload_per_send(), 3'000u);  // nothing seen yet: a byte for a byte
  b.charge(6'000, at(0), 2'000);            // the encoding tripled the payload
  EXPECT_EQ(b.payload_per_send(), 1'500u);  // halfway: 2 wire bytes per payload byte
  b.charge(6'000, at(0), 2'000);
  EXPECT_EQ(b.payload_per_send(), 1'200u);  // 2.5
  b.charge(50, at(0));                      // payload unknown: the ratio stays
  EXPECT_EQ(b.payload_per_send(), 1'200u);
  for (int i = 0; i < 20; ++i) b.charge(100, at(0), 1'000);  // compressed to a tenth
  EXPECT_GE(b.payload_per_send(), 29'000u);
  EXPECT_LE(b.payload_per_send(), 30'000u);
}

TEST(BandwidthBudgetTest, AnEstimateWaitsUntilItFitsButNeverForMoreThanTheBurst) {
  BandwidthBudget b(rate(1'000), at(0).monotonic_ns);
  b.charge(1'000, at(0));  // empty, not in debt
  EXPECT_TRUE(b.can_send(0, Priority::kNormal, at(0)).allowed);
  const BudgetDecision d = b.can_send(400, Priority::kNormal, at(0));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.wait_until_ns, at(400 * kMs).monotonic_ns);
  EXPECT_TRUE(b.can_send(400, Priority::kNormal, at(400 * kMs)).allowed);
  // Larger than the bucket can ever hold: waits for a full bucket, then goes into debt.
  const BudgetDecision huge = b.can_send(50'000, Priority::kNormal, at(0));
  EXPECT_EQ(huge.wait_until_ns, at(kSecond).monotonic_ns);
  EXPECT_TRUE(b.can_send(50'000, Priority::kNormal, at(kSecond)).allowed);
}

TEST(BandwidthBudgetTest, DailyCapReservesTheLastBytesForCriticalBatches) {
  BandwidthBudget b(cap(1'000, 200), at(0).monotonic_ns);
  const std::int64_t today = utc_day(at(0).wall_ns);
  EXPECT_EQ(b.usage(at(0).wall_ns).cap_state(today), DailyCapState::kOpen);
  b.charge(799, at(0));
  EXPECT_TRUE(b.can_send(0, Priority::kNormal, at(0)).allowed);
  b.charge(1, at(0));  // 800 = cap - reserve: the general allowance is spent
  EXPECT_EQ(b.usage(at(0).wall_ns).cap_state(today), DailyCapState::kCriticalOnly);
  for (Priority p : {Priority::kLow, Priority::kNormal, Priority::kHigh}) {
    const BudgetDecision d = b.can_send(0, p, at(0));
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.reason, BudgetHold::kCriticalReserve);
    EXPECT_EQ(d.wait_until_ns, at(12 * 3600 * kSecond).monotonic_ns);  // 00:00 UTC, 12 h on
  }
  EXPECT_TRUE(b.can_send(0, Priority::kCritical, at(0)).allowed);
  b.charge(250, at(0));  // the last send may run past the cap
  EXPECT_EQ(b.usage(at(0).wall_ns).spent_bytes, 1'050u);
  EXPECT_EQ(b.usage(at(0).wall_ns).cap_state(today), DailyCapState::kReached);
  const BudgetDecision critical = b.can_send(0, Priority::kCritical, at(0));
  EXPECT_FALSE(critical.allowed);
  EXPECT_EQ(critical.reason, BudgetHold::kDailyCap);
  const BudgetDecision normal = b.can_send(0, Priority::kNormal, at(0));
  EXPECT_FALSE(normal.allowed);
  EXPECT_EQ(normal.reason, BudgetHold::kDailyCap);
}

TEST(BandwidthBudgetTest, AnEstimateMustFitInWhatTheTierHasLeft) {
  BandwidthBudget b(cap(1'000, 200), at(0).monotonic_ns);
  b.charge(700, at(0));
  EXPECT_TRUE(b.can_send(100, Priority::kNormal, at(0)).allowed);
  const BudgetDecision d = b.can_send(101, Priority::kNormal, at(0));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, BudgetHold::kCriticalReserve);
  EXPECT_TRUE(b.can_send(300, Priority::kCritical, at(0)).allowed);
  EXPECT_EQ(b.can_send(301, Priority::kCritical, at(0)).reason, BudgetHold::kDailyCap);
}

TEST(BandwidthBudgetTest, AWholeReserveMeansOnlyCriticalBatchesFromTheStart) {
  BandwidthBudget b(cap(1'000, 1'000), at(0).monotonic_ns);
  EXPECT_EQ(b.usage(at(0).wall_ns).cap_state(utc_day(at(0).wall_ns)), DailyCapState::kCriticalOnly);
  EXPECT_EQ(b.can_send(0, Priority::kHigh, at(0)).reason, BudgetHold::kCriticalReserve);
  EXPECT_TRUE(b.can_send(0, Priority::kCritical, at(0)).allowed);
}

TEST(BandwidthBudgetTest, ABatchIsCriticalOnlyWhenEveryRecordIs) {
  BandwidthBudget b(cap(1'000, 500), at(0).monotonic_ns);
  b.charge(600, at(0));
  std::vector<ForwardRecord> records(3);
  for (ForwardRecord& r : records) r.priority = Priority::kCritical;
  EXPECT_TRUE(b.can_send_batch(records, 0, at(0)).allowed);
  records[1].priority = Priority::kHigh;
  const BudgetDecision d = b.can_send_batch(records, 0, at(0));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, BudgetHold::kCriticalReserve);
}

TEST(BandwidthBudgetTest, TheCapRollsOverAt0000Utc) {
  const std::int64_t before_midnight = 24 * 3600 * kSecond - kSecond;  // 23:59:59
  BandwidthBudget b(cap(1'000), at(0, before_midnight).monotonic_ns);
  b.charge(1'000, at(0, before_midnight));
  const BudgetDecision d = b.can_send(0, Priority::kCritical, at(0, before_midnight));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, BudgetHold::kDailyCap);
  EXPECT_EQ(d.wait_until_ns, at(kSecond).monotonic_ns);
  // One second later it is the next day: nothing spent yet.
  const BudgetTime next_day = at(kSecond, before_midnight + kSecond);
  EXPECT_EQ(utc_day(next_day.wall_ns), utc_day(at(0, before_midnight).wall_ns) + 1);
  EXPECT_TRUE(b.can_send(0, Priority::kNormal, next_day).allowed);
  EXPECT_EQ(b.usage(next_day.wall_ns).spent_bytes, 0u);
  b.charge(10, next_day);
  EXPECT_EQ(b.usage(next_day.wall_ns).spent_bytes, 10u);
  EXPECT_EQ(b.usage(next_day.wall_ns).day, utc_day(next_day.wall_ns));
}

TEST(BandwidthBudgetTest, RestoreGoesOnFromTheSameDaysSpendOnly) {
  const std::int64_t today = utc_day(at(0).wall_ns);
  BandwidthBudget b(cap(1'000, 100), at(0).monotonic_ns);
  b.restore(today, 950);
  EXPECT_EQ(b.usage(at(0).wall_ns).spent_bytes, 950u);
  EXPECT_EQ(b.can_send(0, Priority::kNormal, at(0)).reason, BudgetHold::kCriticalReserve);
  BandwidthBudget yesterday(cap(1'000, 100), at(0).monotonic_ns);
  yesterday.restore(today - 1, 5'000);
  EXPECT_EQ(yesterday.usage(at(0).wall_ns).spent_bytes, 0u);
  EXPECT_TRUE(yesterday.can_send(0, Priority::kNormal, at(0)).allowed);
}

TEST(BandwidthBudgetTest, CapAndRateTogether) {
  BandwidthOptions o = rate(1'000);
  o.daily_cap_bytes = 10'000;
  o.critical_reserve_bytes = 2'000;
  BandwidthBudget b(o, at(0).monotonic_ns);
  b.charge(3'000, at(0));
  EXPECT_EQ(b.can_send(0, Priority::kNormal, at(0)).reason, BudgetHold::kRateLimit);
  EXPECT_TRUE(b.can_send(0, Priority::kNormal, at(2 * kSecond)).allowed);
  b.charge(5'000, at(2 * kSecond));  // 8000: general allowance spent, bucket in debt
  // The cap's answer wins: waiting for the bucket would not help a normal batch.
  EXPECT_EQ(b.can_send(0, Priority::kNormal, at(2 * kSecond)).reason, BudgetHold::kCriticalReserve);
  EXPECT_EQ(b.can_send(0, Priority::kCritical, at(2 * kSecond)).reason, BudgetHold::kRateLimit);
  EXPECT_TRUE(b.can_send(0, Priority::kCritical, at(7 * kSecond)).allowed);
}

TEST(BandwidthBudgetTest, UsageReportsTheLimits) {
  BandwidthOptions o = rate(1'000, 4'000);
  o.daily_cap_bytes = 9'000;
  o.critical_reserve_bytes = 1'000;
  BandwidthBudget b(o, at(0).monotonic_ns);
  const BandwidthUsage u = b.usage(at(0).wall_ns);
  EXPECT_EQ(u.rate_limit_bytes_per_s, 1'000u);
  EXPECT_EQ(u.daily_cap_bytes, 9'000u);
  EXPECT_EQ(u.critical_reserve_bytes, 1'000u);
  EXPECT_EQ(u.day, utc_day(at(0).wall_ns));
  EXPECT_EQ(u.spent_bytes, 0u);
}

TEST(BandwidthBudgetTest, UtcDayCountsWholeDaysSinceTheEpoch) {
  EXPECT_EQ(utc_day(0), 0);
  EXPECT_EQ(utc_day(kDay - 1), 0);
  EXPECT_EQ(utc_day(kDay), 1);
  EXPECT_EQ(utc_day(-1), -1);
  EXPECT_EQ(utc_day(kMidnight), 20'522);
}

}  // namespace
}  // namespace spool::engine
