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

}  // namespace
}  // namespace spool::report
