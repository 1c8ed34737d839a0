// The bandwidth budget over a real log (Buffer + Forwarder + a sink that counts the bytes it
// reports on the wire):
//   - a backlog drained through a 1 MB/s rate limit puts 1 MB/s (within 10%) on the wire
//     over 30 s, measured from the first send;
//   - under a daily cap with a reserve, normal records go only while the general allowance
//     lasts, critical records then go from the reserve (in offset order those at the cursor;
//     in priority order, the default, also those that arrive behind held-back normal ones),
//     and once the cap is spent nothing goes, also after a restart; every held record stays
//     in the log.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "spool/buffer.h"
#include "spool/forwarder.h"
#include "support/counting_sink.h"
#include "support/forwarder_fixtures.h"
#include "support/temp_dir.h"

namespace spool {
namespace {

using Clock = std::chrono::steady_clock;
using testing::append_seq_run;
using testing::eventually;
using testing::has_warning;
using testing::make_counting_sink;
using testing::open_blocking_buffer;

TEST(BandwidthBudgetIntegration, ABacklogDrainsAtTheRateLimitWithinTenPercentOver30Seconds) {
  constexpr std::uint64_t kRate = 1'000'000;  // bytes/s
  constexpr auto kWindow = std::chrono::seconds(30);
  testing::TempDir dir;
  auto buffer = open_blocking_buffer(dir.path());
  // 40 MB: more than the window can carry, so the limit, not the backlog, sets the pace.
  append_seq_run(*buffer, 0, 10'000, Priority::kNormal, 4'000);
  ForwarderOptions o;
  o.poll_interval_ms = 5;
  o.flush_interval_ms = 10;
  o.stop_timeout_ms = 100;
  o.bandwidth.rate_limit_bytes_per_s = kRate;
  o.bandwidth.burst_bytes = 250'000;
  auto sink = make_counting_sink();  // reports each batch's payload bytes as its wire bytes
  auto fwd = Forwarder::start(*buffer, std::move(sink.owned), o);
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  ASSERT_TRUE(eventually([&] { return !sink.view->sends().empty(); }));
  const Clock::time_point first = sink.view->sends().front().at;
  // Every send that began within the window has been recorded once the window is over.
  std::this_thread::sleep_until(first + kWindow + std::chrono::milliseconds(500));
  const ForwarderStats during = (*fwd)->stats();
  const HealthReport health = (*fwd)->health();
  const auto sends = sink.view->sends();
  ASSERT_TRUE((*fwd)->stop());

  std::uint64_t bytes = 0;
  std::size_t in_window = 0;
  for (const auto& s : sends) {
    if (s.at - first >= kWindow) continue;
    bytes += s.bytes;
    ++in_window;
  }
  const double rate = static_cast<double>(bytes) / std::chrono::duration<double>(kWindow).count();
  RecordProperty("bytes_per_s",
                 std::to_string(static_cast<std::uint64_t>(rate)));  // --gtest_output
  EXPECT_GE(rate, 0.9 * kRate) << bytes << " bytes in " << in_window << " sends";
  EXPECT_LE(rate, 1.1 * kRate) << bytes << " bytes in " << in_window << " sends";
  EXPECT_GT(during.lag.records, 0u);  // still a backlog: the limit held it back
  EXPECT_GT(during.totals.throttled_sends, 0u);
  EXPECT_EQ(during.totals.failed + during.totals.retried + during.totals.dead_lettered, 0u);
  EXPECT_TRUE(has_warning(health, "bandwidth_limited"));
}

// Batches of 10 records, a daily cap of 700 wire bytes with 300 of them kept for critical
// records: the general allowance is 400 bytes, 4 batches.
constexpr std::uint64_t kWirePerRecord = 10;  // a batch of 10: 100 bytes
constexpr std::uint64_t kCap = 700, kReserve = 300;

ForwarderOptions capped_options(bool by_priority) {
  ForwarderOptions o;
  o.poll_interval_ms = 5;
  o.flush_interval_ms = 10;
  o.batch.adaptive = false;
  o.batch.min_records = o.batch.initial_records = o.batch.max_records = 10;
  o.bandwidth.daily_cap_bytes = kCap;
  o.bandwidth.critical_reserve_bytes = kReserve;
  o.order.by_priority = by_priority;
  return o;
}

// Nothing non-critical once the general allowance was spent, nothing once the cap was.
void expect_within_the_tiers(const std::vector<testing::CountingSink::Send>& sends) {
  std::uint64_t spent = 0;
  for (const auto& s : sends) {
    if (!s.all_critical) {
      EXPECT_LT(spent, kCap - kReserve) << "send at offset " << s.offsets.front();
    }
    EXPECT_LT(spent, kCap) << "send at offset " << s.offsets.front();
    spent += s.bytes;
  }
}

// The cap is spent, nothing failed, the health says so; then the forwarder stops.
void expect_cap_spent(Forwarder& fwd) {
  const ForwarderStats s = fwd.stats();
  EXPECT_EQ(s.daily_cap, DailyCapState::kReached);
  EXPECT_EQ(s.bandwidth.spent_bytes, kCap);
  EXPECT_EQ(s.totals.failed + s.totals.retried + s.totals.dead_lettered, 0u);
  EXPECT_TRUE(has_warning(fwd.health(), "daily_cap_reached"));
  ASSERT_TRUE(fwd.stop());
}

// A restart the same day goes on from what was spent: nothing more.
void expect_a_restart_sends_nothing(Buffer& buffer, const ForwarderOptions& o, std::uint64_t cursor,
                                    std::uint64_t settled_ahead) {
  auto sink = make_counting_sink(kWirePerRecord);
  auto fwd = Forwarder::start(buffer, std::move(sink.owned), o);
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  ASSERT_TRUE(eventually([&] { return (*fwd)->stats().budget_hold == BudgetHold::kDailyCap; }));
  EXPECT_TRUE(sink.view->sends().empty());
  EXPECT_EQ((*fwd)->stats().cursor_offset, cursor);
  EXPECT_EQ((*fwd)->stats().settled_ahead, settled_ahead);
}

// The default order: normal records drain until the general allowance is spent; critical
// records appended while the next normal batch is held back pass it, from the reserve,
// until the cap is spent.
TEST(BandwidthBudgetIntegration, AfterTheDailyCapOnlyCriticalRecordsAreSentThenNothing) {
  testing::TempDir dir;
  auto buffer = open_blocking_buffer(dir.path());
  append_seq_run(*buffer, 0, 60, Priority::kNormal, 32);  // 0-39: the general allowance; 40-59 wait
  const ForwarderOptions o = capped_options(/*by_priority=*/true);
  {
    auto sink = make_counting_sink(kWirePerRecord);
    auto fwd = Forwarder::start(*buffer, std::move(sink.owned), o);
    ASSERT_TRUE(fwd) << fwd.status().to_string();
    ASSERT_TRUE(
        eventually([&] { return (*fwd)->stats().budget_hold == BudgetHold::kCriticalReserve; }));
    EXPECT_EQ((*fwd)->stats().cursor_offset, 40u);
    append_seq_run(*buffer, 60, 40, Priority::kCritical,
                   32);  // 60-99: 30 of them fit in the reserve
    ASSERT_TRUE(eventually([&] { return (*fwd)->stats().budget_hold == BudgetHold::kDailyCap; }));
    const auto sends = sink.view->sends();
    expect_within_the_tiers(sends);
    ASSERT_EQ(sends.size(), 7u);
    for (std::size_t i = 0; i < sends.size(); ++i) EXPECT_EQ(sends[i].all_critical, i >= 4) << i;
    EXPECT_EQ(sends[3].offsets.back(), 39u);
    EXPECT_EQ(sends[4].offsets.front(), 60u);
    EXPECT_EQ(sends[6].offsets.back(), 89u);
    const ForwarderStats s = (*fwd)->stats();
    EXPECT_EQ(s.cursor_offset, 40u);
    EXPECT_EQ(s.settled_ahead, 30u);
    EXPECT_EQ(s.lag.records, 30u);  // 40-59 and 90-99, held in the log
    expect_cap_spent(**fwd);
  }
  expect_a_restart_sends_nothing(*buffer, o, /*cursor=*/40, /*settled_ahead=*/30);
}

// Offset order: the batches as appended; the critical ones at the cursor use the reserve.
TEST(BandwidthBudgetIntegration, InOffsetOrderTheCriticalRecordsAtTheCursorUseTheReserve) {
  testing::TempDir dir;
  auto buffer = open_blocking_buffer(dir.path());
  append_seq_run(*buffer, 0, 40, Priority::kNormal, 32);     // offsets 0-39: the general allowance
  append_seq_run(*buffer, 40, 40, Priority::kCritical, 32);  // 40-79: 30 of them fit in the reserve
  append_seq_run(*buffer, 80, 40, Priority::kNormal, 32);    // 80-119: never today
  const ForwarderOptions o = capped_options(/*by_priority=*/false);
  {
    auto sink = make_counting_sink(kWirePerRecord);
    auto fwd = Forwarder::start(*buffer, std::move(sink.owned), o);
    ASSERT_TRUE(fwd) << fwd.status().to_string();
    ASSERT_TRUE(eventually([&] { return (*fwd)->stats().budget_hold == BudgetHold::kDailyCap; }));
    const auto sends = sink.view->sends();
    expect_within_the_tiers(sends);
    for (const auto& send : sends) {
      for (std::uint64_t offset : send.offsets) EXPECT_LT(offset, 80u);
    }
    // 4 normal batches, then 3 critical ones from the reserve (the third begins at 600 < 700
    // and ends past the cap: a send is charged after it); the fourth critical batch waits.
    ASSERT_EQ(sends.size(), 7u) << sends.front().offsets.size() << " records in the first";
    for (std::size_t i = 0; i < sends.size(); ++i) EXPECT_EQ(sends[i].all_critical, i >= 4) << i;
    EXPECT_EQ(sends.back().offsets.back(), 69u);
    const ForwarderStats s = (*fwd)->stats();
    EXPECT_EQ(s.cursor_offset, 70u);
    EXPECT_EQ(s.lag.records, 50u);  // held in the log
    expect_cap_spent(**fwd);
  }
  expect_a_restart_sends_nothing(*buffer, o, /*cursor=*/70, /*settled_ahead=*/0);
}

}  // namespace
}  // namespace spool
