// report/stats_json: the one JSON form of spool's counters (spoolctl and the C API).
#include "report/stats_json.h"

#include <gtest/gtest.h>

namespace spool::report {
namespace {

TEST(StatsJson, TimesAreIso8601UtcAndNeverIsNull) {
  EXPECT_EQ(iso8601_utc(1'763'836'846'123'456'789), "2025-11-22T18:40:46.123Z");
  EXPECT_EQ(iso8601_utc(0), "");
  EXPECT_TRUE(iso8601_utc_or_null(0).is_null());
  EXPECT_TRUE(iso8601_utc_or_null(-5).is_null());
}

TEST(StatsJson, OnlyReasonsThatDroppedSomethingAreListed) {
  std::array<std::uint64_t, kDropReasonCount> dropped{};
  EXPECT_TRUE(dropped_by_reason_json(dropped).empty());
  EXPECT_TRUE(dropped_by_reason_json(dropped).is_object());
  dropped[static_cast<std::size_t>(DropReason::kTooLarge)] = 2;
  EXPECT_EQ(dropped_by_reason_json(dropped).dump(), R"({"too_large":2})");
}

TEST(StatsJson, BufferStatsKeepTheAccountingTerms) {
  BufferStats s;
  s.appended = 10;
  s.written = 7;
  s.dropped[static_cast<std::size_t>(DropReason::kQueueFull)] = 1;
  s.queue_depth = 2;
  const auto j = buffer_stats_json(s);
  EXPECT_EQ(j.at("appended"), 10);
  EXPECT_EQ(j.at("written"), 7);
  EXPECT_EQ(j.at("dropped_total"), 1);
  EXPECT_EQ(j.at("dropped").at("queue_full"), 1);
  EXPECT_EQ(j.at("queue_depth"), 2);
  EXPECT_TRUE(j.at("log_failed").is_null());
}

TEST(StatsJson, ForwarderStatsNameTheCircuitAndKeepBothTotals) {
  ForwarderStats s;
  s.cursor = "otlp";
  s.circuit = CircuitState::kOpen;
  s.totals.delivered = 5;
  s.session.delivered = 2;
  s.totals.last_error = "refused";
  const auto j = forwarder_stats_json(s);
  EXPECT_EQ(j.at("cursor"), "otlp");
  EXPECT_EQ(j.at("circuit"), "open");
  EXPECT_EQ(j.at("totals").at("delivered"), 5);
  EXPECT_EQ(j.at("session").at("delivered"), 2);
  EXPECT_EQ(j.at("totals").at("last_error"), "refused");
  EXPECT_TRUE(j.at("session").at("last_error").is_null());
}

TEST(StatsJson, ForwarderStatsShowTheBandwidthBudget) {
  ForwarderStats s;
  s.totals.throttled_sends = 3;
  s.totals.throttled_ns = 1'500'000'000;
  s.bandwidth.rate_limit_bytes_per_s = 1'000'000;
  s.bandwidth.daily_cap_bytes = 1'000;
  s.bandwidth.critical_reserve_bytes = 200;
  s.bandwidth.day = 20'522;  // 2026-03-10
  s.bandwidth.spent_bytes = 900;
  s.daily_cap = DailyCapState::kCriticalOnly;
  s.budget_hold = BudgetHold::kCriticalReserve;
  const auto j = forwarder_stats_json(s);
  EXPECT_EQ(j.at("totals").at("throttled_sends"), 3);
  EXPECT_EQ(j.at("totals").at("throttled_ns"), 1'500'000'000);
  const auto& b = j.at("bandwidth");
  EXPECT_EQ(b.at("rate_limit_bytes_per_s"), 1'000'000);
  EXPECT_EQ(b.at("daily_cap_bytes"), 1'000);
  EXPECT_EQ(b.at("critical_reserve_bytes"), 200);
  EXPECT_EQ(b.at("day"), "2026-03-10");
  EXPECT_EQ(b.at("spent_today_bytes"), 900);
  EXPECT_EQ(b.at("daily_cap"), "critical-only");
  EXPECT_EQ(b.at("hold"), "critical_reserve");
  EXPECT_TRUE(b.at("last_rate_limited").is_null());
}

TEST(StatsJson, BandwidthUsageOfAnEarlierDayCountsNothingToday) {
  BandwidthUsage u;
  u.daily_cap_bytes = 1'000;
  u.day = 20'521;
  u.spent_bytes = 5'000;
  const auto j = bandwidth_usage_json(u, 20'522);
  EXPECT_EQ(j.at("day"), "2026-03-10");
  EXPECT_EQ(j.at("spent_today_bytes"), 0);
  EXPECT_EQ(j.at("daily_cap"), "open");
  EXPECT_EQ(bandwidth_usage_json(u, 20'521).at("daily_cap"), "reached");
}

}  // namespace
}  // namespace spool::report
