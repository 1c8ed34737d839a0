// engine/forward/policy/batch_sizer.h: doubles on steady successes up to max, halves on failure or rising
// per-record latency down to min, ignores batches too small to judge, stays fixed when not
// adaptive. Latencies are passed in: nothing here is timed.
#include "engine/forward/policy/batch_sizer.h"

#include <cstdint>

#include <gtest/gtest.h>

namespace spool::engine {
namespace {

BatchSizeOptions options(std::uint32_t min, std::uint32_t initial, std::uint32_t max, bool adaptive = true) {
  BatchSizeOptions o;
  o.min_records = min;
  o.initial_records = initial;
  o.max_records = max;
  o.adaptive = adaptive;
  return o;
}

// A full batch at the current size with `ns_per_record` latency.
void succeed(BatchSizer& s, double ns_per_record) {
  const std::uint32_t n = s.next_records();
  s.on_success(n, n * 100ull, static_cast<std::int64_t>(ns_per_record * n));
}

TEST(BatchSizerTest, StartsAtInitial) {
  BatchSizer s(options(64, 1024, 16384));
  EXPECT_EQ(s.next_records(), 1024u);
  EXPECT_EQ(s.max_bytes(), BatchSizeOptions{}.max_bytes);
  EXPECT_EQ(s.latency_ewma_ns_per_record(), 0.0);
}

TEST(BatchSizerTest, GrowsWhileSendsSucceedUpToMax) {
  BatchSizer s(options(64, 1024, 16384));
  for (std::uint32_t expected : {2048u, 4096u, 8192u, 16384u, 16384u, 16384u}) {
    succeed(s, 1000);
    EXPECT_EQ(s.next_records(), expected);
  }
  EXPECT_EQ(s.grow_count(), 4u);
  EXPECT_DOUBLE_EQ(s.latency_ewma_ns_per_record(), 1000.0);
}

TEST(BatchSizerTest, MaxThatIsNotAPowerOfTwoMultipleIsReached) {
  BatchSizer s(options(10, 100, 300));
  succeed(s, 10);
  EXPECT_EQ(s.next_records(), 200u);
  succeed(s, 10);
  EXPECT_EQ(s.next_records(), 300u);
}

TEST(BatchSizerTest, FailureHalvesDownToMin) {
  BatchSizer s(options(64, 1024, 16384));
  for (std::uint32_t expected : {512u, 256u, 128u, 64u, 64u}) {
    s.on_failure();
    EXPECT_EQ(s.next_records(), expected);
  }
  EXPECT_EQ(s.shrink_count(), 4u);
}

TEST(BatchSizerTest, MinThatIsNotAPowerOfTwoFractionIsReached) {
  BatchSizer s(options(300, 1000, 1000));
  s.on_failure();
  EXPECT_EQ(s.next_records(), 500u);
  s.on_failure();
  EXPECT_EQ(s.next_records(), 300u);
}

TEST(BatchSizerTest, RisingLatencyShrinks) {
  BatchSizer s(options(64, 1024, 16384));
  succeed(s, 1000);  // 2048, EWMA 1000
  succeed(s, 1500);  // not rising (<= 2x): 4096, EWMA 1125
  EXPECT_EQ(s.next_records(), 4096u);
  EXPECT_DOUBLE_EQ(s.latency_ewma_ns_per_record(), 1125.0);
  succeed(s, 2250);  // exactly 2x the EWMA is not "more than": grows
  EXPECT_EQ(s.next_records(), 8192u);
  const double ewma = s.latency_ewma_ns_per_record();
  succeed(s, 2 * ewma + 100);  // rising: halves
  EXPECT_EQ(s.next_records(), 4096u);
  EXPECT_EQ(s.shrink_count(), 1u);
}

TEST(BatchSizerTest, ALastingLatencyChangeBecomesTheNewNormal) {
  BatchSizer s(options(64, 1024, 16384));
  succeed(s, 1000);
  // Latency jumps to 5x and stays: it shrinks a few times, then the EWMA catches up and
  // the size grows again.
  int shrinks = 0;
  for (int i = 0; i < 20; ++i) {
    const std::uint32_t before = s.next_records();
    succeed(s, 5000);
    if (s.next_records() < before) ++shrinks;
  }
  EXPECT_GE(shrinks, 1);
  EXPECT_LE(shrinks, 5);
  EXPECT_EQ(s.next_records(), 16384u);
}

TEST(BatchSizerTest, SmallBatchesNeitherGrowNorShrinkNorFeedTheEwma) {
  BatchSizer s(options(64, 1024, 16384));
  succeed(s, 1000);
  ASSERT_EQ(s.next_records(), 2048u);
  // 10 records with a large fixed per-request cost: 100x the per-record latency.
  s.on_success(10, 1000, 10 * 100'000);
  EXPECT_EQ(s.next_records(), 2048u);
  EXPECT_DOUBLE_EQ(s.latency_ewma_ns_per_record(), 1000.0);
  // Half the size still counts.
  s.on_success(1024, 1000, 1024 * 1000);
  EXPECT_EQ(s.next_records(), 4096u);
  // Zero records (and negative clocks) are harmless.
  s.on_success(0, 0, 5);
  s.on_success(4096, 0, -5);
  EXPECT_EQ(s.next_records(), 8192u);
}

TEST(BatchSizerTest, NotAdaptiveStaysAtInitial) {
  BatchSizer s(options(64, 1024, 16384, /*adaptive=*/false));
  succeed(s, 1000);
  s.on_failure();
  s.on_failure();
  succeed(s, 100000);
  EXPECT_EQ(s.next_records(), 1024u);
  EXPECT_EQ(s.grow_count() + s.shrink_count(), 0u);
}

TEST(BatchSizerTest, MinEqualsMax) {
  BatchSizer s(options(5, 5, 5));
  succeed(s, 1);
  EXPECT_EQ(s.next_records(), 5u);
  s.on_failure();
  EXPECT_EQ(s.next_records(), 5u);
}

TEST(BatchSizerTest, HugeMaxDoesNotOverflow) {
  BatchSizer s(options(1, 0x80000000u, 0xFFFFFFFFu));
  succeed(s, 1);
  EXPECT_EQ(s.next_records(), 0xFFFFFFFFu);
  succeed(s, 1);
  EXPECT_EQ(s.next_records(), 0xFFFFFFFFu);
}

}  // namespace
}  // namespace spool::engine
