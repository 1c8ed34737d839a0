// evaluate_health(): each check names what it found, with the figures that tripped it.
#include <cstdio>
#include <string>

#include "spool/health.h"

namespace spool {

namespace {

std::string percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", fraction * 100.0);
  return buf;
}

std::string seconds(std::int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ns) / 1e9);
  return buf;
}

}  // namespace

HealthReport evaluate_health(const HealthInputs& in, const HealthThresholds& th) {
  HealthReport report;
  auto warn = [&report](std::string code, std::string message) {
    report.warnings.push_back(HealthWarning{std::move(code), std::move(message)});
  };
  if (in.disk_cap_bytes > 0) {
    const double fill = static_cast<double>(in.disk_bytes) / static_cast<double>(in.disk_cap_bytes);
    if (fill > th.buffer_fill) {
      warn("buffer_fill", "log holds " + std::to_string(in.disk_bytes) + " bytes, " + percent(fill) +
                              " of its " + std::to_string(in.disk_cap_bytes) + "-byte cap (above " +
                              percent(th.buffer_fill) + "); retention will delete unforwarded records");
    }
  }
  if (in.queue_cap_bytes > 0) {
    const double fill = static_cast<double>(in.queue_bytes) / static_cast<double>(in.queue_cap_bytes);
    if (fill > th.buffer_fill) {
      warn("buffer_fill", "in-memory queues hold " + std::to_string(in.queue_bytes) + " bytes, " + percent(fill) +
                              " of their " + std::to_string(in.queue_cap_bytes) + "-byte budget (above " +
                              percent(th.buffer_fill) + ")");
    }
  }
  if (in.oldest_unforwarded_age_ns > th.oldest_unforwarded_ms * 1'000'000) {
    warn("forward_lag", "oldest unforwarded record" +
                            (in.oldest_unforwarded_cursor.empty() ? std::string() : " of cursor " + in.oldest_unforwarded_cursor) +
                            " is " + seconds(in.oldest_unforwarded_age_ns) + " old (limit " +
                            seconds(th.oldest_unforwarded_ms * 1'000'000) + ")");
  }
  if (in.last_error_ns != 0 && in.now_ns - in.last_error_ns <= th.recent_error_ms * 1'000'000) {
    warn("recent_error", "error " + seconds(std::max<std::int64_t>(0, in.now_ns - in.last_error_ns)) +
                             " ago: " + in.last_error);
  }
  if (in.sends >= 10 && in.failure_rate > th.failure_rate) {
    warn("failure_rate", percent(in.failure_rate) + " of the last " + std::to_string(in.sends) +
                             " sends failed (limit " + percent(th.failure_rate) + ")");
  }
  if (in.write_backlog_records > th.write_backlog_records) {
    warn("write_backlog", std::to_string(in.write_backlog_records) + " records wait for the writer (limit " +
                              std::to_string(th.write_backlog_records) + ")");
  }
  if (!in.log_failed.empty()) {
    warn("log_failed", "the log takes no more records until the buffer is reopened: " + in.log_failed);
  }
  for (const BandwidthHealthInputs& b : in.bandwidth) {
    const std::string cursor = "cursor " + b.cursor;
    if (b.daily_cap_bytes != 0 && b.spent_today_bytes >= b.daily_cap_bytes) {
      warn("daily_cap_reached",
           cursor + " spent " + std::to_string(b.spent_today_bytes) +
               " bytes today (UTC), its daily cap of " + std::to_string(b.daily_cap_bytes) +
               ": nothing is sent until 00:00 UTC; the records wait in the log");
    } else if (b.daily_cap_bytes != 0 &&
               b.spent_today_bytes >= b.daily_cap_bytes - b.critical_reserve_bytes) {
      warn("daily_cap_reached",
           cursor + " spent " + std::to_string(b.spent_today_bytes) +
               " bytes today (UTC) of its daily cap of " + std::to_string(b.daily_cap_bytes) +
               ": only batches of critical records are sent, from the " +
               std::to_string(b.critical_reserve_bytes) +
               "-byte reserve, until 00:00 UTC; the other records wait in the log");
    }
    if (b.rate_limit_bytes_per_s != 0 && b.last_rate_limited_ns != 0 &&
        in.now_ns - b.last_rate_limited_ns <= th.rate_limited_ms * 1'000'000) {
      warn("bandwidth_limited",
           cursor + ": the rate limit of " + std::to_string(b.rate_limit_bytes_per_s) +
               " bytes/s held sends back " +
               seconds(std::max<std::int64_t>(0, in.now_ns - b.last_rate_limited_ns)) +
               " ago; the backlog drains at that rate");
    }
  }
  return report;
}

}  // namespace spool
