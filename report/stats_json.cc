#include "report/stats_json.h"

#include <time.h>

#include <cstdio>

namespace spool::report {

using nlohmann::ordered_json;

std::string iso8601_utc(std::int64_t ns) {
  if (ns <= 0) return {};
  const time_t secs = static_cast<time_t>(ns / 1'000'000'000);
  const int millis = static_cast<int>((ns % 1'000'000'000) / 1'000'000);
  struct tm tm;
  if (::gmtime_r(&secs, &tm) == nullptr) return {};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

ordered_json iso8601_utc_or_null(std::int64_t ns) {
  std::string text = iso8601_utc(ns);
  if (text.empty()) return nullptr;
  return text;
}

ordered_json dropped_by_reason_json(const std::array<std::uint64_t, kDropReasonCount>& dropped) {
  ordered_json j = ordered_json::object();
  for (std::size_t r = 0; r < kDropReasonCount; ++r) {
    if (dropped[r] != 0) j[drop_reason_name(static_cast<DropReason>(r))] = dropped[r];
  }
  return j;
}

ordered_json forward_totals_json(const ForwardTotals& t) {
  ordered_json j;
  j["delivered"] = t.delivered;
  j["dead_lettered"] = t.dead_lettered;
  j["dropped_unforwarded"] = t.dropped_unforwarded;
  j["not_selected"] = t.not_selected;
  j["rejected_unnamed"] = t.rejected_unnamed;
  j["failed"] = t.failed;
  j["retried"] = t.retried;
  j["batches"] = t.batches;
  j["failed_sends"] = t.failed_sends;
  j["bytes_sent"] = t.bytes_sent;
  j["bytes_read"] = t.bytes_read;
  j["throttled_sends"] = t.throttled_sends;
  j["throttled_ns"] = t.throttled_ns;
  j["last_flush"] = iso8601_utc_or_null(t.last_flush_ns);
  j["last_error_time"] = iso8601_utc_or_null(t.last_error_ns);
  j["last_error"] = t.last_error.empty() ? ordered_json(nullptr) : ordered_json(t.last_error);
  return j;
}

ordered_json bandwidth_usage_json(const BandwidthUsage& u, std::int64_t today) {
  constexpr std::int64_t kDayNs = 86'400ll * 1'000'000'000;
  ordered_json j;
  j["rate_limit_bytes_per_s"] = u.rate_limit_bytes_per_s;
  j["daily_cap_bytes"] = u.daily_cap_bytes;
  j["critical_reserve_bytes"] = u.critical_reserve_bytes;
  j["day"] = iso8601_utc(today * kDayNs).substr(0, 10);
  j["spent_today_bytes"] = u.spent_on(today);
  j["daily_cap"] = daily_cap_state_name(u.cap_state(today));
  return j;
}

ordered_json buffer_stats_json(const BufferStats& s) {
  ordered_json j;
  j["appended"] = s.appended;
  j["accepted"] = s.accepted;
  j["written"] = s.written;
  j["dropped_total"] = s.dropped_total();
  j["dropped"] = dropped_by_reason_json(s.dropped);
  j["queue_depth"] = s.queue_depth;
  j["queue_bytes"] = s.queue_bytes;
  j["queue_budget_bytes"] = s.queue_budget_bytes;
  j["budget_resizes"] = s.budget_resizes;
  j["committed_offset"] = s.committed_offset;
  j["written_end_offset"] = s.written_end_offset;
  j["oldest_unwritten_age_ns"] = s.oldest_unwritten_age_ns;
  j["producers"] = s.producers;
  j["write_batches"] = s.write_batches;
  j["write_errors"] = s.write_errors;
  j["at_cap"] = s.at_cap;
  j["last_write_error"] = s.last_write_error.empty() ? ordered_json(nullptr) : ordered_json(s.last_write_error);
  j["log_failed"] = s.log_failed.empty() ? ordered_json(nullptr) : ordered_json(s.log_failed);
  j["syncs"] = s.syncs;
  j["writer_wakeups"] = s.writer_wakeups;
  if (!s.lanes.empty()) {
    ordered_json lanes = ordered_json::array();
    for (const LaneStats& lane : s.lanes) {
      ordered_json one{
          {"name", lane.name}, {"dir", lane.dir}, {"route", lane.route}, {"retired", lane.retired}};
      one.update(buffer_stats_json(lane.stats));
      lanes.push_back(std::move(one));
    }
    j["lanes"] = std::move(lanes);
  }
  return j;
}

ordered_json forwarder_stats_json(const ForwarderStats& s) {
  ordered_json j;
  j["cursor"] = s.cursor;
  j["sink"] = s.sink;
  j["cursor_offset"] = s.cursor_offset;
  j["settled_ahead"] = s.settled_ahead;
  j["end_offset"] = s.end_offset;
  j["lag"] = {{"records", s.lag.records}, {"bytes", s.lag.bytes}, {"oldest_age_ns", s.lag.oldest_age_ns}};
  j["totals"] = forward_totals_json(s.totals);
  j["session"] = forward_totals_json(s.session);
  j["circuit"] = circuit_state_name(s.circuit);
  j["circuit_opened"] = s.circuit_opened;
  j["online"] = s.online;
  j["batch_records"] = s.batch_records;
  j["pending_retry_records"] = s.pending_retry_records;
  j["failure_rate"] = s.failure_rate;
  j["dead_letters_dropped"] = s.dead_letters_dropped;
  ordered_json bandwidth = bandwidth_usage_json(s.bandwidth, s.bandwidth.day);
  bandwidth["hold"] = budget_hold_name(s.budget_hold);
  bandwidth["last_rate_limited"] = iso8601_utc_or_null(s.last_rate_limited_ns);
  j["bandwidth"] = std::move(bandwidth);
  if (!s.lanes.empty()) {
    ordered_json lanes = ordered_json::array();
    for (const LaneForwarderStats& lane : s.lanes) {
      ordered_json one{{"lane", lane.lane}};
      one.update(forwarder_stats_json(lane.stats));
      lanes.push_back(std::move(one));
    }
    j["lanes"] = std::move(lanes);
  }
  return j;
}

}  // namespace spool::report
