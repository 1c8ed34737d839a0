// Health checks of a buffer and its forwarding: a list of named warnings, empty when healthy.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace spool {

struct HealthThresholds {
  double buffer_fill = 0.90;                       // warn above this fraction of a cap
  std::int64_t oldest_unforwarded_ms = 5 * 60'000; // warn when a record waits longer
  std::int64_t recent_error_ms = 60'000;           // warn on an error this recent
  double failure_rate = 0.10;                      // warn above this fraction of failed sends
  std::uint64_t write_backlog_records = 100'000;   // warn when more records wait for the writer
  std::int64_t rate_limited_ms = 10'000;           // warn while the rate limit holds sends back
};

// One forwarder's bandwidth budget (ForwarderOptions::bandwidth), as the checks see it.
struct BandwidthHealthInputs {
  std::string cursor;
  std::uint64_t daily_cap_bytes = 0;  // 0 = no cap
  std::uint64_t critical_reserve_bytes = 0;
  std::uint64_t spent_today_bytes = 0;       // wire bytes this UTC day
  std::uint64_t rate_limit_bytes_per_s = 0;  // 0 = no rate limit
  std::int64_t last_rate_limited_ns = 0;     // wall clock of the last send it held back; 0 = never
};

// What the checks look at; a field left at its default is not checked.
struct HealthInputs {
  std::int64_t now_ns = 0;                    // wall clock
  std::uint64_t disk_bytes = 0;               // the log's size ...
  std::uint64_t disk_cap_bytes = 0;           // ... against its retention cap (0 = no cap)
  std::uint64_t queue_bytes = 0;              // the in-memory queues ...
  std::uint64_t queue_cap_bytes = 0;          // ... against their budget (0 = not in process)
  std::int64_t oldest_unforwarded_age_ns = 0; // worst cursor
  std::string oldest_unforwarded_cursor;
  std::int64_t last_error_ns = 0;             // wall clock of the latest error anywhere; 0 = none
  std::string last_error;
  double failure_rate = 0;
  std::uint64_t sends = 0;                    // sends behind failure_rate (no warning below 10)
  std::uint64_t write_backlog_records = 0;    // records queued, not yet written
  std::string log_failed;                     // BufferStats::log_failed (empty: not failed)
  std::vector<BandwidthHealthInputs> bandwidth;  // per forwarder with a budget
};

struct HealthWarning {
  // buffer_fill, forward_lag, recent_error, failure_rate, write_backlog, log_failed (a failed
  // sync: the log takes no more appends), daily_cap_reached (a forwarder spent its daily cap
  // but the reserve for critical records, or all of it); from a Forwarder also sink_auth
  // (the sink refuses the credentials), sink_misconfigured (wrong address, TLS setup),
  // tls_insecure (TLS verification turned off) and bandwidth_limited (the rate limit holds
  // sends back)
  std::string code;
  std::string message;  // one line a person can act on
};

struct HealthReport {
  std::vector<HealthWarning> warnings;
  bool healthy() const noexcept { return warnings.empty(); }
};

HealthReport evaluate_health(const HealthInputs& inputs, const HealthThresholds& thresholds = {});

}  // namespace spool
