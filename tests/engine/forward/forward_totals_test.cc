// engine/forward/forward_totals.h: the cursor file's state blob round-trips every total and
// the bandwidth budget's day; a blob written before the budget existed reads as no budget and
// nothing spent; unknown keys are ignored; damage is Corruption.
#include "engine/forward/forward_totals.h"

#include <gtest/gtest.h>

#include <string>

namespace spool::engine {
namespace {

ForwardTotals sample_totals() {
  ForwardTotals t;
  t.delivered = 1;
  t.dead_lettered = 2;
  t.dropped_unforwarded = 3;
  t.rejected_unnamed = 4;
  t.failed = 5;
  t.retried = 6;
  t.batches = 7;
  t.failed_sends = 8;
  t.bytes_sent = 9;
  t.bytes_read = 10;
  t.throttled_sends = 11;
  t.throttled_ns = 12;
  t.last_flush_ns = 13;
  t.last_error_ns = 14;
  t.last_error = "line one\nback\\slash";
  return t;
}

TEST(ForwardTotalsTest, AddingSumsTheCountsAndKeepsTheLaterTimes) {
  ForwardTotals sum = sample_totals();
  ForwardTotals older = sample_totals();
  older.last_flush_ns = 1;
  older.last_error_ns = 2;
  older.last_error = "older";
  add_totals(&sum, older);
  EXPECT_EQ(sum.delivered, 2u);
  EXPECT_EQ(sum.not_selected, 0u);
  EXPECT_EQ(sum.throttled_ns, 24u);
  EXPECT_EQ(sum.last_flush_ns, 13);  // the later flush stays
  EXPECT_EQ(sum.last_error, "line one\nback\\slash");
  ForwardTotals newer;
  newer.last_flush_ns = 100;
  newer.last_error_ns = 100;
  newer.last_error = "newer";
  add_totals(&sum, newer);
  EXPECT_EQ(sum.last_flush_ns, 100);
  EXPECT_EQ(sum.last_error_ns, 100);
  EXPECT_EQ(sum.last_error, "newer");
  EXPECT_EQ(sum.delivered, 2u);
}

TEST(ForwardTotalsTest, RoundTripsTotalsAndBandwidth) {
  BandwidthUsage b;
  b.rate_limit_bytes_per_s = 1'048'576;
  b.daily_cap_bytes = 500'000'000;
  b.critical_reserve_bytes = 50'000'000;
  b.day = 20'522;
  b.spent_bytes = 123'456;
  auto decoded = decode_forward_state(encode_forward_state(sample_totals(), b));
  ASSERT_TRUE(decoded) << decoded.status().to_string();
  const ForwardTotals& t = decoded->totals;
  const ForwardTotals want = sample_totals();
  EXPECT_EQ(t.delivered, want.delivered);
  EXPECT_EQ(t.dead_lettered, want.dead_lettered);
  EXPECT_EQ(t.dropped_unforwarded, want.dropped_unforwarded);
  EXPECT_EQ(t.rejected_unnamed, want.rejected_unnamed);
  EXPECT_EQ(t.failed, want.failed);
  EXPECT_EQ(t.retried, want.retried);
  EXPECT_EQ(t.batches, want.batches);
  EXPECT_EQ(t.failed_sends, want.failed_sends);
  EXPECT_EQ(t.bytes_sent, want.bytes_sent);
  EXPECT_EQ(t.bytes_read, want.bytes_read);
  EXPECT_EQ(t.throttled_sends, want.throttled_sends);
  EXPECT_EQ(t.throttled_ns, want.throttled_ns);
  EXPECT_EQ(t.last_flush_ns, want.last_flush_ns);
  EXPECT_EQ(t.last_error_ns, want.last_error_ns);
  EXPECT_EQ(t.last_error, want.last_error);
  const BandwidthUsage& u = decoded->bandwidth;
  EXPECT_EQ(u.rate_limit_bytes_per_s, b.rate_limit_bytes_per_s);
  EXPECT_EQ(u.daily_cap_bytes, b.daily_cap_bytes);
  EXPECT_EQ(u.critical_reserve_bytes, b.critical_reserve_bytes);
  EXPECT_EQ(u.day, b.day);
  EXPECT_EQ(u.spent_bytes, b.spent_bytes);
}

TEST(ForwardTotalsTest, NoBandwidthLinesWhileAllAreZero) {
  const std::string text = encode_forward_state(sample_totals(), BandwidthUsage{});
  EXPECT_EQ(text.find("bandwidth_"), std::string::npos) << text;
}

TEST(ForwardTotalsTest, ABlobFromBeforeTheBudgetReadsAsNoBudget) {
  // What a cursor file held before the throttle counters and the budget existed.
  const std::string old =
      "delivered=700\ndead_lettered=0\ndropped_unforwarded=0\nrejected_unnamed=0\nfailed=3\n"
      "retried=3\nbatches=12\nfailed_sends=1\nbytes_sent=4096\nbytes_read=8192\n"
      "last_flush_ns=1700000000000000000\nlast_error_ns=0\nlast_error=\n";
  auto decoded = decode_forward_state(old);
  ASSERT_TRUE(decoded) << decoded.status().to_string();
  EXPECT_EQ(decoded->totals.delivered, 700u);
  EXPECT_EQ(decoded->totals.bytes_sent, 4096u);
  EXPECT_EQ(decoded->totals.throttled_sends, 0u);
  EXPECT_EQ(decoded->totals.throttled_ns, 0u);
  EXPECT_EQ(decoded->bandwidth.daily_cap_bytes, 0u);
  EXPECT_EQ(decoded->bandwidth.day, 0);
  EXPECT_EQ(decoded->bandwidth.spent_bytes, 0u);
}

TEST(ForwardTotalsTest, UnknownKeysAreIgnoredAndDamageIsCorruption) {
  auto decoded = decode_forward_state("delivered=5\nfuture_field=9\n");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->totals.delivered, 5u);
  EXPECT_EQ(decode_forward_state("delivered\n").status().code(), StatusCode::kCorruption);
  EXPECT_EQ(decode_forward_state("bandwidth_spent_bytes=lots\n").status().code(),
            StatusCode::kCorruption);
  EXPECT_EQ(decode_forward_state("bandwidth_day=-3\n")->bandwidth.day, -3);
}

}  // namespace
}  // namespace spool::engine
