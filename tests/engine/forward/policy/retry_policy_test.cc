// engine/forward/policy/retry_policy.h: the back-off sequence, its jitter bounds and cap, no overflow at
// huge attempt numbers, Retry-After, and when records are dead-lettered. The random source
// is injected, so every expected delay is exact.
#include "engine/forward/policy/retry_policy.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace spool::engine {
namespace {

constexpr std::int64_t kMs = 1'000'000;

RetryPolicy::RandomSource constant(double u) {
  return [u] { return u; };
}

RetryOptions no_jitter() {
  RetryOptions o;
  o.initial_backoff_ms = 100;
  o.multiplier = 2.0;
  o.max_backoff_ms = 30'000;
  o.jitter = 0.0;
  return o;
}

TEST(RetryPolicyTest, ExponentialSequenceUpToTheCap) {
  RetryPolicy p(no_jitter(), constant(0.7));
  const std::vector<std::uint64_t> expected = {100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000};
  for (std::size_t a = 0; a < expected.size(); ++a) {
    EXPECT_EQ(p.base_delay_ms(a), expected[a]) << a;
    EXPECT_EQ(p.delay_ms(a), expected[a]) << a;
  }
}

TEST(RetryPolicyTest, FractionalMultiplier) {
  RetryOptions o = no_jitter();
  o.initial_backoff_ms = 1000;
  o.multiplier = 1.5;
  RetryPolicy p(o, constant(0.0));
  EXPECT_EQ(p.delay_ms(0), 1000u);
  EXPECT_EQ(p.delay_ms(1), 1500u);
  EXPECT_EQ(p.delay_ms(2), 2250u);
}

TEST(RetryPolicyTest, JitterSpansExactlyTheDocumentedRange) {
  RetryOptions o = no_jitter();
  o.jitter = 0.2;
  // u = 0 gives the low end, u -> 1 the high end, u = 0.5 the base.
  EXPECT_EQ(RetryPolicy(o, constant(0.0)).delay_ms(3), 640u);   // 800 * 0.8
  EXPECT_EQ(RetryPolicy(o, constant(0.5)).delay_ms(3), 800u);
  EXPECT_EQ(RetryPolicy(o, constant(0.999999999)).delay_ms(3), 960u);  // 800 * 1.2
  // Out-of-range draws from a bad source are clamped into the range.
  EXPECT_EQ(RetryPolicy(o, constant(-5.0)).delay_ms(3), 640u);
  EXPECT_EQ(RetryPolicy(o, constant(7.0)).delay_ms(3), 960u);
  EXPECT_EQ(RetryPolicy(o, constant(std::nan(""))).delay_ms(3), 640u);
  // Jitter applies on top of the cap.
  EXPECT_EQ(RetryPolicy(o, constant(0.0)).delay_ms(50), 24'000u);
  EXPECT_EQ(RetryPolicy(o, constant(0.999999999)).delay_ms(50), 36'000u);
}

TEST(RetryPolicyTest, SeededRandomStaysWithinBounds) {
  RetryOptions o = no_jitter();
  o.jitter = 0.5;
  std::mt19937_64 rng(42);
  RetryPolicy p(o, [&rng] { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); });
  for (std::uint64_t a = 0; a < 200; ++a) {
    const double base = static_cast<double>(p.base_delay_ms(a));
    const auto d = static_cast<double>(p.delay_ms(a));
    EXPECT_GE(d, std::floor(base * 0.5)) << a;
    EXPECT_LE(d, std::ceil(base * 1.5)) << a;
  }
}

TEST(RetryPolicyTest, DefaultRandomSourceStaysWithinBounds) {
  RetryPolicy p(RetryOptions{});  // jitter 0.2, cap 30 s
  for (std::uint64_t a = 0; a < 100; ++a) {
    const std::uint64_t d = p.delay_ms(a);
    EXPECT_GE(d, p.base_delay_ms(a) * 8 / 10) << a;
    EXPECT_LE(d, p.base_delay_ms(a) * 12 / 10 + 1) << a;
  }
}

TEST(RetryPolicyTest, HugeAttemptNumbersDoNotOverflow) {
  RetryOptions o = no_jitter();
  o.max_backoff_ms = std::numeric_limits<std::uint32_t>::max();
  o.multiplier = 1000.0;
  RetryPolicy p(o, constant(0.5));
  for (std::uint64_t a : {64ull, 1'000ull, 1'000'000ull, 4'294'967'295ull, ~0ull}) {
    EXPECT_EQ(p.base_delay_ms(a), o.max_backoff_ms) << a;
    EXPECT_EQ(p.delay_ms(a), RetryPolicy::kMaxDelayMs) << a;  // above the hard ceiling
  }
  RetryPolicy defaults(RetryOptions{}, constant(0.5));
  EXPECT_EQ(defaults.delay_ms(1'000'000), 30'000u);
}

TEST(RetryPolicyTest, MultiplierOneIsConstant) {
  RetryOptions o = no_jitter();
  o.multiplier = 1.0;
  RetryPolicy p(o, constant(0.5));
  EXPECT_EQ(p.delay_ms(0), 100u);
  EXPECT_EQ(p.delay_ms(1'000'000), 100u);
}

TEST(RetryPolicyTest, RetryAfterWinsWhenLongerAndIsCapped) {
  RetryPolicy p(no_jitter(), constant(0.5));
  EXPECT_EQ(p.delay_ms(0, 0), 100u);            // no header
  EXPECT_EQ(p.delay_ms(0, 50), 100u);           // shorter than the back-off
  EXPECT_EQ(p.delay_ms(0, 5'000), 5'000u);      // longer: honoured exactly (no jitter)
  EXPECT_EQ(p.delay_ms(20, 60'000), 60'000u);   // beyond max_backoff_ms is fine
  EXPECT_EQ(p.delay_ms(0, 86'400'000), RetryPolicy::kMaxDelayMs);  // a day: capped at 1 h
  EXPECT_EQ(p.delay_ms(0, ~0ull), RetryPolicy::kMaxDelayMs);
}

TEST(RetryPolicyTest, DeadLetterAfterMaxRetries) {
  RetryOptions o = no_jitter();
  o.max_retries = 3;
  RetryPolicy p(o, constant(0.5));
  EXPECT_FALSE(p.should_dead_letter(1, 0, 0));  // first send failed
  EXPECT_FALSE(p.should_dead_letter(3, 0, 0));
  EXPECT_FALSE(p.should_dead_letter(4 - 1, 0, 0));
  EXPECT_TRUE(p.should_dead_letter(4, 0, 0));   // first send + 3 retries failed
  EXPECT_TRUE(p.should_dead_letter(1000, 0, 0));
}

TEST(RetryPolicyTest, MaxRetriesZeroDeadLettersAtTheFirstFailure) {
  RetryOptions o = no_jitter();
  o.max_retries = 0;
  RetryPolicy p(o, constant(0.5));
  EXPECT_FALSE(p.should_dead_letter(0, 0, 0));
  EXPECT_TRUE(p.should_dead_letter(1, 0, 0));
}

TEST(RetryPolicyTest, NoTimeLimitByDefault) {
  RetryOptions o;  // max_elapsed_ms = 0
  o.max_retries = std::numeric_limits<std::uint32_t>::max();
  RetryPolicy p(o, constant(0.5));
  EXPECT_FALSE(p.should_dead_letter(5, 0, std::numeric_limits<std::int64_t>::max()));
}

TEST(RetryPolicyTest, DeadLetterAfterMaxElapsed) {
  RetryOptions o = no_jitter();
  o.max_retries = 1000;
  o.max_elapsed_ms = 60'000;
  RetryPolicy p(o, constant(0.5));
  const std::int64_t first = 5'000 * kMs;
  EXPECT_FALSE(p.should_dead_letter(2, first, first));
  EXPECT_FALSE(p.should_dead_letter(2, first, first + 60'000 * kMs - 1));
  EXPECT_TRUE(p.should_dead_letter(2, first, first + 60'000 * kMs));
  EXPECT_FALSE(p.should_dead_letter(2, first, first - 10 * kMs));  // clock before first failure
  // Extreme clock values neither overflow nor misjudge.
  EXPECT_TRUE(p.should_dead_letter(2, std::numeric_limits<std::int64_t>::min(),
                                   std::numeric_limits<std::int64_t>::max()));
}

}  // namespace
}  // namespace spool::engine
