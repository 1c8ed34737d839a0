// spool::Forwarder under a bandwidth budget (ForwarderOptions::bandwidth), with a sink that
// reports a known number of wire bytes per record: the daily cap holds the batch at the
// cursor back (its records stay in the log; nothing fails, retries or is dead-lettered),
// only critical batches use the reserve, the day's spend survives a restart (an earlier
// day's does not), the rate limit delays sends and counts the wait, a batch reads at most a
// burst of payload, and stats, health and flush() say what holds the records back.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "engine/forward/forward_totals.h"
#include "segment/cursor_store.h"
#include "spool/buffer.h"
#include "spool/cursors.h"
#include "spool/forwarder.h"
#include "support/counting_sink.h"
#include "support/forwarder_fixtures.h"
#include "support/temp_dir.h"

namespace spool {
namespace {

using testing::append_seq_run;
using testing::eventually;
using testing::has_warning;
using testing::make_counting_sink;
using testing::open_blocking_buffer;

constexpr std::uint64_t kWireBytesPerRecord = 100;

// Batches of exactly `batch` records, so the tests know where each send ends.
ForwarderOptions options(std::uint32_t batch = 5) {
  ForwarderOptions o;
  o.flush_interval_ms = 10;
  o.poll_interval_ms = 5;
  o.retry.initial_backoff_ms = 1;
  o.retry.max_backoff_ms = 5;
  o.batch.adaptive = false;
  o.batch.min_records = o.batch.initial_records = o.batch.max_records = batch;
  return o;
}

ForwarderOptions capped(std::uint64_t cap, std::uint64_t reserve = 0) {
  ForwarderOptions o = options();
  o.bandwidth.daily_cap_bytes = cap;
  o.bandwidth.critical_reserve_bytes = reserve;
  return o;
}

std::int64_t today() {
  return utc_day(std::chrono::duration_cast<std::chrono::nanoseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count());
}

TEST(ForwarderBudget, DailyCapHoldsTheBacklogInTheLogWithoutRetriesOrDeadLetters) {
  testing::TempDir dir;
  auto buffer = open_blocking_buffer(dir.path());
  append_seq_run(*buffer, 0, 20);
  auto sink = make_counting_sink(kWireBytesPerRecord);
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), capped(1'000));
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  ASSERT_TRUE(eventually([&] { return (*fwd)->stats().budget_hold == BudgetHold::kDailyCap; }));
  // Two batches of 5 spent the cap; the third waits at the cursor.
  EXPECT_EQ(sink.view->records_sent(), 10u);
  const Status flushed = (*fwd)->flush(10'000);
  EXPECT_EQ(flushed.code(), StatusCode::kUnavailable) << flushed.to_string();
  EXPECT_NE(flushed.message().find("daily byte cap"), std::string::npos) << flushed.message();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // many polls: still nothing sent
  EXPECT_EQ(sink.view->records_sent(), 10u);
  const ForwarderStats s = (*fwd)->stats();
  EXPECT_EQ(s.cursor_offset, 10u);
  EXPECT_EQ(s.lag.records, 10u);
  EXPECT_EQ(s.totals.delivered, 10u);
  EXPECT_EQ(s.totals.failed, 0u);
  EXPECT_EQ(s.totals.retried, 0u);
  EXPECT_EQ(s.totals.dead_lettered, 0u);
  EXPECT_EQ(s.totals.bytes_sent, 1'000u);
  EXPECT_EQ(s.totals.throttled_sends, 1u);  // one wait, however many polls
  EXPECT_GT(s.totals.throttled_ns, 0u);
  EXPECT_EQ(s.daily_cap, DailyCapState::kReached);
  EXPECT_EQ(s.bandwidth.daily_cap_bytes, 1'000u);
  EXPECT_EQ(s.bandwidth.spent_bytes, 1'000u);
  EXPECT_EQ(s.bandwidth.day, today());
  EXPECT_EQ(s.pending_retry_records, 0u);
  EXPECT_TRUE(has_warning((*fwd)->health(), "daily_cap_reached"));
  // stop() leaves the held records in the log, the cursor before them.
  ASSERT_TRUE((*fwd)->stop());
  auto cursors = list_cursors(dir.path());
  ASSERT_TRUE(cursors) << cursors.status().to_string();
  ASSERT_EQ(cursors->size(), 1u);
  EXPECT_EQ((*cursors)[0].next_offset, 10u);
  EXPECT_EQ((*cursors)[0].bandwidth.spent_bytes, 1'000u);
  EXPECT_EQ((*cursors)[0].bandwidth.daily_cap_bytes, 1'000u);
  EXPECT_EQ((*cursors)[0].bandwidth.day, today());
  EXPECT_EQ((*cursors)[0].totals.throttled_sends, 1u);
}

TEST(ForwarderBudget, TheDaysSpendSurvivesARestart) {
  testing::TempDir dir;
  auto buffer = open_blocking_buffer(dir.path());
  append_seq_run(*buffer, 0, 20);
  {
    auto sink = make_counting_sink(kWireBytesPerRecord);
    auto fwd = Forwarder::start(*buffer, std::move(sink.owned), capped(1'000));
    ASSERT_TRUE(fwd);
    ASSERT_TRUE(eventually([&] { return (*fwd)->stats().budget_hold == BudgetHold::kDailyCap; }));
  }
  {
    // Same cap, same day: nothing more goes out.
    auto sink = make_counting_sink(kWireBytesPerRecord);
    auto fwd = Forwarder::start(*buffer, std::move(sink.owned), capped(1'000));
    ASSERT_TRUE(fwd);
    ASSERT_TRUE(eventually([&] { return (*fwd)->stats().budget_hold == BudgetHold::kDailyCap; }));
    EXPECT_EQ(sink.view->records_sent(), 0u);
    EXPECT_EQ((*fwd)->stats().bandwidth.spent_bytes, 1'000u);
  }
  // A larger cap: the rest goes, counted on top of what was spent.
  auto sink = make_counting_sink(kWireBytesPerRecord);
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), capped(3'000));
  ASSERT_TRUE(fwd);
  ASSERT_TRUE((*fwd)->flush(30'000));
  EXPECT_EQ(sink.view->records_sent(), 10u);
  const ForwarderStats s = (*fwd)->stats();
  EXPECT_EQ(s.cursor_offset, 20u);
  EXPECT_EQ(s.bandwidth.spent_bytes, 2'000u);
  EXPECT_EQ(s.daily_cap, DailyCapState::kOpen);
  EXPECT_EQ(s.budget_hold, BudgetHold::kNone);
}

TEST(ForwarderBudget, ASeekPastTheHeldBatchEndsTheWait) {
  testing::TempDir dir;
  auto buffer = open_blocking_buffer(dir.path());
  append_seq_run(*buffer, 0, 20);
  auto sink = make_counting_sink(kWireBytesPerRecord);
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), capped(1'000));
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  ASSERT_TRUE(eventually([&] { return (*fwd)->stats().budget_hold == BudgetHold::kDailyCap; }));
  ASSERT_TRUE((*fwd)->seek(SeekTarget::kLatest));
  const ForwarderStats s = (*fwd)->stats();
  EXPECT_EQ(s.cursor_offset, 20u);
  EXPECT_EQ(s.budget_hold, BudgetHold::kNone);
  EXPECT_EQ(s.daily_cap, DailyCapState::kReached);  // the spend stays
  EXPECT_TRUE((*fwd)->flush(1'000));                // nothing left to hold back
  EXPECT_EQ(sink.view->records_sent(), 10u);
}

TEST(ForwarderBudget, AnEarlierDaysSpendDoesNotCount) {
  testing::TempDir dir;
  auto buffer = open_blocking_buffer(dir.path());
  append_seq_run(*buffer, 0, 10);
  {
    auto store = segment::CursorStore::open(dir.path());
    ASSERT_TRUE(store) << store.status().to_string();
    BandwidthUsage yesterday;
    yesterday.daily_cap_bytes = 1'000;
    yesterday.day = today() - 1;
    yesterday.spent_bytes = 50'000;
    ASSERT_TRUE(
        store->commit({"default", 0, 0, engine::encode_forward_state(ForwardTotals{}, yesterday)}));
  }
  auto sink = make_counting_sink(kWireBytesPerRecord);
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), capped(1'000));
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  ASSERT_TRUE((*fwd)->flush(30'000));
  EXPECT_EQ(sink.view->records_sent(), 10u);
  EXPECT_EQ((*fwd)->stats().bandwidth.spent_bytes, 1'000u);
  EXPECT_EQ((*fwd)->stats().bandwidth.day, today());
}

TEST(ForwarderBudget, OnlyCriticalBatchesUseTheReserve) {
  testing::TempDir dir;
  auto buffer = open_blocking_buffer(dir.path());
  append_seq_run(*buffer, 0, 5);                       // 500 bytes: the general allowance
  append_seq_run(*buffer, 5, 5, Priority::kCritical);  // from the reserve
  append_seq_run(*buffer, 10, 5);                      // waits
  auto sink = make_counting_sink(kWireBytesPerRecord);
  ForwarderOptions o = capped(1'100, 600);
  o.order.by_priority = false;  // offset order: the batches as appended
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), o);
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  ASSERT_TRUE(
      eventually([&] { return (*fwd)->stats().budget_hold == BudgetHold::kCriticalReserve; }));
  const auto sends = sink.view->sends();
  ASSERT_EQ(sends.size(), 2u);
  EXPECT_FALSE(sends[0].all_critical);
  EXPECT_TRUE(sends[1].all_critical);
  EXPECT_EQ(sends[1].offsets.front(), 5u);
  const ForwarderStats s = (*fwd)->stats();
  EXPECT_EQ(s.cursor_offset, 10u);
  EXPECT_EQ(s.daily_cap, DailyCapState::kCriticalOnly);
  EXPECT_EQ(s.bandwidth.spent_bytes, 1'000u);
  EXPECT_EQ(s.totals.failed + s.totals.retried + s.totals.dead_lettered, 0u);
  const HealthReport health = (*fwd)->health();
  ASSERT_TRUE(has_warning(health, "daily_cap_reached"));
  EXPECT_EQ((*fwd)->flush(1'000).code(), StatusCode::kUnavailable);
}

// Priority order (the default): once only the reserve is left, critical records that arrive
// while a normal batch is held back go before it, from the reserve; the normal ones wait.
TEST(ForwarderBudget, UnderPriorityOrderLaterCriticalRecordsPassTheHeldBatch) {
  testing::TempDir dir;
  auto buffer = open_blocking_buffer(dir.path());
  append_seq_run(*buffer, 0, 5);  // 500 bytes: the general allowance
  auto sink = make_counting_sink(kWireBytesPerRecord);
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), capped(1'100, 600));
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  ASSERT_TRUE(eventually([&] { return (*fwd)->stats().cursor_offset == 5; }));
  append_seq_run(*buffer, 5, 5);  // held back: only the reserve is left
  ASSERT_TRUE(
      eventually([&] { return (*fwd)->stats().budget_hold == BudgetHold::kCriticalReserve; }));
  append_seq_run(*buffer, 10, 5, Priority::kCritical);
  ASSERT_TRUE(eventually([&] { return sink.view->sends().size() == 2; }));
  ASSERT_TRUE(
      eventually([&] { return (*fwd)->stats().budget_hold == BudgetHold::kCriticalReserve; }));
  const auto sends = sink.view->sends();
  ASSERT_EQ(sends.size(), 2u);
  EXPECT_TRUE(sends[1].all_critical);
  EXPECT_EQ(sends[1].offsets, (std::vector<std::uint64_t>{10, 11, 12, 13, 14}));
  const ForwarderStats s = (*fwd)->stats();
  EXPECT_EQ(s.cursor_offset, 5u);  // the normal records wait in the log
  EXPECT_EQ(s.settled_ahead, 5u);
  EXPECT_EQ(s.lag.records, 5u);
  EXPECT_EQ(s.bandwidth.spent_bytes, 1'000u);
  EXPECT_EQ(s.totals.failed + s.totals.retried + s.totals.dead_lettered, 0u);
}

TEST(ForwarderBudget, TheRateLimitDelaysSendsWithoutUsingRetries) {
  testing::TempDir dir;
  auto buffer = open_blocking_buffer(dir.path());
  append_seq_run(*buffer, 0, 50);
  ForwarderOptions o = options(10);             // 10 records = 10 000 wire bytes a send
  o.bandwidth.rate_limit_bytes_per_s = 20'000;  // burst: one second's worth
  auto sink = make_counting_sink(1'000);
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), o);
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  ASSERT_TRUE((*fwd)->flush(60'000));
  const auto sends = sink.view->sends();
  ASSERT_EQ(sends.size(), 5u);
  // The full bucket lets three sends go (the third while it is empty, not in debt); the
  // fourth and fifth each wait for 10 000 bytes of refill at 20 000 B/s. A lower bound the
  // limiter guarantees, not a speed.
  EXPECT_GE(sends[4].at - sends[0].at, std::chrono::milliseconds(1'000));
  const ForwarderStats s = (*fwd)->stats();
  EXPECT_EQ(s.totals.delivered, 50u);
  EXPECT_EQ(s.totals.failed + s.totals.retried + s.totals.dead_lettered, 0u);
  EXPECT_EQ(s.session.throttled_sends, 2u);
  // From the first refusal (a step after the previous send) to the send: at most the 1 s.
  EXPECT_GT(s.session.throttled_ns, 0u);
  EXPECT_LE(
      s.session.throttled_ns,
      static_cast<std::uint64_t>(std::chrono::nanoseconds(sends[4].at - sends[0].at).count()));
  EXPECT_NE(s.last_rate_limited_ns, 0);
  EXPECT_EQ(s.bandwidth.rate_limit_bytes_per_s, 20'000u);
  EXPECT_EQ(s.bandwidth.spent_bytes, 50'000u);
  EXPECT_EQ(s.daily_cap, DailyCapState::kOff);
  EXPECT_TRUE(has_warning((*fwd)->health(), "bandwidth_limited"));
}

TEST(ForwarderBudget, UnderARateLimitABatchReadsAtMostABurstOfPayload) {
  testing::TempDir dir;
  auto buffer = open_blocking_buffer(dir.path());
  append_seq_run(*buffer, 0, 60, Priority::kNormal, 40);
  ForwarderOptions o = options(64);
  o.bandwidth.rate_limit_bytes_per_s = 10'000'000;
  o.bandwidth.burst_bytes = 300;
  auto sink = make_counting_sink();  // reports the payload bytes
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), o);
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  ASSERT_TRUE((*fwd)->flush(60'000));
  EXPECT_EQ(sink.view->records_sent(), 60u);
  for (const auto& send : sink.view->sends()) {
    EXPECT_TRUE(send.bytes <= 300 || send.offsets.size() == 1)
        << send.bytes << " bytes, " << send.offsets.size();
    EXPECT_LT(send.offsets.size(), 64u);
  }
}

TEST(ForwarderBudget, BatchesShrinkWhenTheSinkPutsMoreOnTheWireThanThePayload) {
  testing::TempDir dir;
  auto buffer = open_blocking_buffer(dir.path());
  append_seq_run(*buffer, 0, 200, Priority::kNormal, 40);  // about 100 payload bytes a record
  ForwarderOptions o = options(256);
  o.bandwidth.rate_limit_bytes_per_s = 10'000'000;
  o.bandwidth.burst_bytes = 3'000;
  auto sink = make_counting_sink(1'000);  // ten times the payload on the wire
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), o);
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  ASSERT_TRUE((*fwd)->flush(60'000));
  const auto sends = sink.view->sends();
  ASSERT_GT(sends.size(), 5u);
  EXPECT_GT(sends[0].bytes, 3 * 3'000u);  // before any ratio was seen: a burst of payload
  for (std::size_t i = 5; i < sends.size(); ++i) EXPECT_LE(sends[i].bytes, 2 * 3'000u) << i;
}

TEST(ForwarderBudget, RejectsABadBudget) {
  testing::TempDir dir;
  auto buffer = open_blocking_buffer(dir.path());
  ForwarderOptions o = capped(100, 200);
  auto fwd = Forwarder::start(*buffer, make_counting_sink().owned, o);
  ASSERT_FALSE(fwd);
  EXPECT_EQ(fwd.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(fwd.status().message().find("critical_reserve_bytes"), std::string::npos);
}

}  // namespace
}  // namespace spool
