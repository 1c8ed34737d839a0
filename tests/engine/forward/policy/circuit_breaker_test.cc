// engine/forward/policy/circuit_breaker.h: the whole state machine with an explicit clock: opening after
// the threshold, refusing while open, exactly one half-open probe, a failed probe doubling
// the cool-down (up to the max), a successful one closing and resetting it,
// force_half_open(), next_attempt_ns() and the counters.
#include "engine/forward/policy/circuit_breaker.h"

#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

namespace spool::engine {
namespace {

constexpr std::int64_t kMs = 1'000'000;

CircuitBreakerOptions options(std::uint32_t threshold = 3, std::uint32_t cooldown = 1'000,
                              std::uint32_t max_cooldown = 5'000) {
  CircuitBreakerOptions o;
  o.failure_threshold = threshold;
  o.cooldown_ms = cooldown;
  o.max_cooldown_ms = max_cooldown;
  return o;
}

// Fails `n` sends at time t (each let through by allow()).
void fail(CircuitBreaker& b, int n, std::int64_t t) {
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(b.allow(t));
    b.record_failure(t);
  }
}

TEST(CircuitBreakerTest, StartsClosedAndStaysClosedBelowTheThreshold) {
  CircuitBreaker b(options());
  EXPECT_EQ(b.state(0), CircuitState::kClosed);
  EXPECT_EQ(b.next_attempt_ns(), 0);
  fail(b, 2, 0);
  EXPECT_EQ(b.state(0), CircuitState::kClosed);
  EXPECT_EQ(b.consecutive_failures(), 2u);
  b.record_success(0);  // a success resets the run of failures
  EXPECT_EQ(b.consecutive_failures(), 0u);
  fail(b, 2, 0);
  EXPECT_EQ(b.state(0), CircuitState::kClosed);
  EXPECT_EQ(b.opened_count(), 0u);
  EXPECT_EQ(b.closed_count(), 0u);
}

TEST(CircuitBreakerTest, OpensAtTheThresholdAndRefusesUntilTheCooldownEnds) {
  CircuitBreaker b(options());
  const std::int64_t t0 = 10 * kMs;
  fail(b, 3, t0);
  EXPECT_EQ(b.state(t0), CircuitState::kOpen);
  EXPECT_EQ(b.opened_count(), 1u);
  EXPECT_EQ(b.next_attempt_ns(), t0 + 1'000 * kMs);
  EXPECT_FALSE(b.allow(t0));
  EXPECT_FALSE(b.allow(t0 + 1'000 * kMs - 1));
  EXPECT_EQ(b.state(t0 + 1'000 * kMs - 1), CircuitState::kOpen);
  // The cool-down has elapsed: state() says half-open before anyone asks.
  EXPECT_EQ(b.state(t0 + 1'000 * kMs), CircuitState::kHalfOpen);
}

TEST(CircuitBreakerTest, HalfOpenAllowsExactlyOneProbe) {
  CircuitBreaker b(options());
  fail(b, 3, 0);
  const std::int64_t t = 1'000 * kMs;
  EXPECT_TRUE(b.allow(t));
  EXPECT_EQ(b.state(t), CircuitState::kHalfOpen);
  EXPECT_EQ(b.probe_count(), 1u);
  EXPECT_EQ(b.next_attempt_ns(), CircuitBreaker::kWaitingForProbe);
  EXPECT_FALSE(b.allow(t));
  EXPECT_FALSE(b.allow(t + 3'600'000 * kMs));  // no amount of time lets a second one out
  EXPECT_EQ(b.probe_count(), 1u);
}

TEST(CircuitBreakerTest, SuccessfulProbeClosesAndResetsTheCooldown) {
  CircuitBreaker b(options());
  fail(b, 3, 0);
  std::int64_t t = 1'000 * kMs;
  ASSERT_TRUE(b.allow(t));
  b.record_failure(t);  // probe fails: cool-down 2 s
  EXPECT_EQ(b.cooldown_ms(), 2'000u);
  t += 2'000 * kMs;
  ASSERT_TRUE(b.allow(t));
  b.record_success(t);
  EXPECT_EQ(b.state(t), CircuitState::kClosed);
  EXPECT_EQ(b.closed_count(), 1u);
  EXPECT_EQ(b.cooldown_ms(), 1'000u);
  EXPECT_EQ(b.consecutive_failures(), 0u);
  EXPECT_EQ(b.next_attempt_ns(), 0);
  EXPECT_TRUE(b.allow(t));
  EXPECT_TRUE(b.allow(t));
  // Opening again starts from the base cool-down.
  fail(b, 3, t);
  EXPECT_EQ(b.next_attempt_ns(), t + 1'000 * kMs);
  EXPECT_EQ(b.opened_count(), 3u);
}

TEST(CircuitBreakerTest, FailedProbesDoubleTheCooldownUpToTheMax) {
  CircuitBreaker b(options(/*threshold=*/1, /*cooldown=*/1'000, /*max_cooldown=*/5'000));
  std::int64_t t = 0;
  fail(b, 1, t);
  EXPECT_EQ(b.next_attempt_ns(), t + 1'000 * kMs);
  for (std::uint64_t expected : {2'000u, 4'000u, 5'000u, 5'000u}) {
    t = b.next_attempt_ns();
    EXPECT_FALSE(b.allow(t - 1));
    ASSERT_TRUE(b.allow(t));
    b.record_failure(t);
    EXPECT_EQ(b.state(t), CircuitState::kOpen);
    EXPECT_EQ(b.cooldown_ms(), expected);
    EXPECT_EQ(b.next_attempt_ns(), t + static_cast<std::int64_t>(expected) * kMs);
  }
  EXPECT_EQ(b.opened_count(), 5u);
  EXPECT_EQ(b.probe_count(), 4u);
}

TEST(CircuitBreakerTest, ForceHalfOpenSkipsTheCooldown) {
  CircuitBreaker b(options());
  fail(b, 3, 0);
  EXPECT_FALSE(b.allow(1));
  b.force_half_open();
  EXPECT_EQ(b.state(1), CircuitState::kHalfOpen);
  EXPECT_EQ(b.next_attempt_ns(), 0);
  EXPECT_TRUE(b.allow(1));
  EXPECT_FALSE(b.allow(1));
  b.force_half_open();  // the probe is out: no second one
  EXPECT_FALSE(b.allow(1));
  b.record_failure(2);  // probe failed: open with a doubled cool-down
  EXPECT_EQ(b.state(2), CircuitState::kOpen);
  EXPECT_EQ(b.next_attempt_ns(), 2 + 2'000 * kMs);
}

TEST(CircuitBreakerTest, ForceHalfOpenDoesNothingWhenClosed) {
  CircuitBreaker b(options());
  b.force_half_open();
  EXPECT_EQ(b.state(0), CircuitState::kClosed);
  EXPECT_TRUE(b.allow(0));
  EXPECT_TRUE(b.allow(0));
}

TEST(CircuitBreakerTest, FailureWhileOpenDoesNotMoveTheCooldown) {
  CircuitBreaker b(options());
  fail(b, 3, 0);
  b.record_failure(500 * kMs);
  EXPECT_EQ(b.next_attempt_ns(), 1'000 * kMs);
  EXPECT_EQ(b.opened_count(), 1u);
  EXPECT_EQ(b.consecutive_failures(), 4u);
}

TEST(CircuitBreakerTest, ThresholdOfOneAndZeroCooldown) {
  CircuitBreaker b(options(/*threshold=*/1, /*cooldown=*/0, /*max_cooldown=*/0));
  fail(b, 1, 7);
  EXPECT_EQ(b.state(7), CircuitState::kHalfOpen);  // cool-down of 0 ends at once
  EXPECT_TRUE(b.allow(7));
  EXPECT_FALSE(b.allow(7));
  b.record_success(7);
  EXPECT_EQ(b.state(7), CircuitState::kClosed);
}

TEST(CircuitBreakerTest, CooldownNearTheEndOfTimeSaturates) {
  CircuitBreaker b(options(1, 1'000, 1'000));
  const std::int64_t late = std::numeric_limits<std::int64_t>::max() - 10;
  fail(b, 1, late);
  EXPECT_EQ(b.next_attempt_ns(), std::numeric_limits<std::int64_t>::max());
  EXPECT_FALSE(b.allow(late + 5));
}

}  // namespace
}  // namespace spool::engine
