// What a Forwarder reports: totals per cursor (persisted with the cursor, so they survive
// restarts and `spoolctl stats DIR` can read them), lag, and the accounting identity that
// proves nothing went missing.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spool/buffer_stats.h"
#include "spool/forwarder_options.h"

namespace spool {

// Counters of one cursor. All grow only (a cursor seek does not reset them).
struct ForwardTotals {
  std::uint64_t delivered = 0;            // records the sink acknowledged (cursor moved past them)
  std::uint64_t dead_lettered = 0;        // records set aside in the dead-letter log
  std::uint64_t dropped_unforwarded = 0;  // records retention deleted before this cursor passed them
  std::uint64_t not_selected = 0;         // records this cursor's selection left out (ForwarderOptions::select)
  std::uint64_t rejected_unnamed = 0;     // of `delivered`: reported rejected by count only (OTLP partial success)
  std::uint64_t failed = 0;               // record-sends that failed (one record failing 3 times counts 3)
  std::uint64_t retried = 0;              // record-sends that were retries
  std::uint64_t batches = 0;              // sends the sink acknowledged (fully or partially)
  std::uint64_t failed_sends = 0;         // sends that failed as a whole
  std::uint64_t bytes_sent = 0;           // on the wire, as the sink reports it
  std::uint64_t bytes_read = 0;           // payload bytes read from the log for acknowledged sends
  std::uint64_t throttled_sends = 0;      // sends the bandwidth budget held back (once each)
  std::uint64_t throttled_ns = 0;         // time sends waited for the bandwidth budget
  std::int64_t last_flush_ns = 0;         // wall clock of the last acknowledged send; 0 = never
  std::int64_t last_error_ns = 0;         // wall clock of the last failure; 0 = never
  std::string last_error;                 // its message
};

// Where a cursor's daily byte cap stands (BandwidthOptions).
enum class DailyCapState : std::uint8_t {
  kOff,           // no daily cap
  kOpen,          // less than cap - reserve spent today: every batch may be sent
  kCriticalOnly,  // only the reserve is left: only batches made only of critical records
  kReached,       // the cap is spent: nothing is sent until 00:00 UTC
};

// "off", "open", "critical-only", "reached" (stats, metrics).
constexpr std::string_view daily_cap_state_name(DailyCapState s) noexcept {
  switch (s) {
    case DailyCapState::kOff:
      return "off";
    case DailyCapState::kOpen:
      return "open";
    case DailyCapState::kCriticalOnly:
      return "critical-only";
    case DailyCapState::kReached:
      return "reached";
  }
  return "unknown";
}

// Why the batch at the cursor waits for the bandwidth budget.
enum class BudgetHold : std::uint8_t {
  kNone,             // it does not
  kRateLimit,        // the token bucket is in debt: until it has refilled
  kCriticalReserve,  // only the reserve is left, the batch is not all critical: until 00:00 UTC
  kDailyCap,         // the daily cap is spent: until 00:00 UTC
};

// "none", "rate_limit", "critical_reserve", "daily_cap".
constexpr std::string_view budget_hold_name(BudgetHold h) noexcept {
  switch (h) {
    case BudgetHold::kNone:
      return "none";
    case BudgetHold::kRateLimit:
      return "rate_limit";
    case BudgetHold::kCriticalReserve:
      return "critical_reserve";
    case BudgetHold::kDailyCap:
      return "daily_cap";
  }
  return "unknown";
}

// The UTC day of a wall-clock time: whole days since 1970-01-01 00:00 UTC.
constexpr std::int64_t utc_day(std::int64_t wall_ns) noexcept {
  constexpr std::int64_t kDayNs = 86'400ll * 1'000'000'000;
  return wall_ns >= 0 ? wall_ns / kDayNs : -((-wall_ns + kDayNs - 1) / kDayNs);
}

// A cursor's bandwidth budget: the limits its forwarder runs with and the wire bytes it sent
// on one UTC day. Persisted with the cursor, so `spoolctl stats` shows it and a restart on
// the same day goes on from what was spent.
struct BandwidthUsage {
  std::uint64_t rate_limit_bytes_per_s = 0;  // 0 = none
  std::uint64_t daily_cap_bytes = 0;         // 0 = none
  std::uint64_t critical_reserve_bytes = 0;
  std::int64_t day = 0;           // the UTC day (utc_day()) spent_bytes counts
  std::uint64_t spent_bytes = 0;  // wire bytes sent that day

  // What was spent on `today` (0 when `day` is an earlier one).
  constexpr std::uint64_t spent_on(std::int64_t today) const noexcept {
    return day == today ? spent_bytes : 0;
  }
  constexpr DailyCapState cap_state(std::int64_t today) const noexcept {
    if (daily_cap_bytes == 0) return DailyCapState::kOff;
    const std::uint64_t spent = spent_on(today);
    if (spent >= daily_cap_bytes) return DailyCapState::kReached;
    if (spent >= daily_cap_bytes - critical_reserve_bytes) return DailyCapState::kCriticalOnly;
    return DailyCapState::kOpen;
  }
};

// Per-cursor lag: what the log holds beyond the cursor.
struct CursorLag {
  std::uint64_t records = 0;              // committed end - cursor - settled ahead (offsets)
  std::uint64_t bytes = 0;                // frame bytes from the cursor to the committed end
  std::int64_t oldest_age_ns = 0;         // now - buffered-at of the record at the cursor; 0 if none
};

struct LaneForwarderStats;

struct ForwarderStats {
  std::string cursor;
  std::string sink;
  std::uint64_t cursor_offset = 0;        // committed: every offset below it is settled
  // Offsets beyond cursor_offset already settled (delivered ahead by priority or newest-first
  // order, left out by the selection, or without a record): the backlog excludes them.
  std::uint64_t settled_ahead = 0;
  std::uint64_t end_offset = 0;           // the log's committed end, or the until_ns range's end
  bool until_reached = false;             // until_ns: the cursor is at the range's end
  CursorLag lag;
  ForwardTotals totals;                   // since the cursor was created (persisted)
  ForwardTotals session;                  // since this Forwarder started
  CircuitState circuit = CircuitState::kClosed;
  std::uint64_t circuit_opened = 0;       // times the circuit opened (this session)
  bool online = true;                     // the connectivity monitor's view (true without one)
  std::uint32_t batch_records = 0;        // current adaptive batch size target
  std::uint64_t pending_retry_records = 0;  // records waiting for a retry
  std::int64_t next_attempt_ns = 0;       // monotonic time of the next retry/probe; 0 = none
  double failure_rate = 0;                // failed sends / sends over the last 64 sends
  // Dead letters of this log that the dead-letter log's retention deleted before they were
  // requeued (ever; shared by every cursor of the log).
  std::uint64_t dead_letters_dropped = 0;
  HookStats hooks;  // ForwarderOptions::hooks (include/spool/hooks.h)
  // The bandwidth budget (ForwarderOptions::bandwidth): its limits and what was spent today
  // (`day` is today), the daily cap's state, and why the batch at the cursor waits, if it does.
  BandwidthUsage bandwidth;
  DailyCapState daily_cap = DailyCapState::kOff;
  BudgetHold budget_hold = BudgetHold::kNone;
  // Wall clock of the last time the rate limit held a send back (this session); 0 = never.
  std::int64_t last_rate_limited_ns = 0;
  // Each forwarded lane's own stats, in the Buffer's lane order; with several lanes the
  // fields above are their sums (lane_options.h).
  std::vector<LaneForwarderStats> lanes;
};

struct LaneForwarderStats {
  std::string lane;
  ForwarderStats stats;  // its `lanes` is empty
};

// The accounting identity of one Buffer + one Forwarder, over the Forwarder's session:
//   appended == delivered + dropped + dead_lettered + not_selected + still_buffered
// where appended counts Buffer::append calls plus the records already beyond the cursor
// when the Forwarder started (backlog_at_start), and still_buffered is everything queued in
// memory, being written, or in the log beyond the cursor and not settled (including records
// in flight to the sink). Taken as one consistent cut: it balances at every instant, not only when quiet.
struct Accounting {
  std::uint64_t appended = 0;
  std::uint64_t backlog_at_start = 0;     // part of `appended`
  std::uint64_t delivered = 0;
  std::array<std::uint64_t, kDropReasonCount> dropped{};  // Buffer drops by DropReason
  std::uint64_t dropped_unforwarded = 0;  // retention, before this cursor passed them
  std::uint64_t dead_lettered = 0;
  std::uint64_t not_selected = 0;         // left out by this forwarder's selection
  std::uint64_t still_buffered = 0;
  std::uint64_t dropped_total() const noexcept {
    std::uint64_t n = dropped_unforwarded;
    for (std::uint64_t d : dropped) n += d;
    return n;
  }
  bool balanced() const noexcept { 
    return appended == delivered + dropped_total() + dead_lettered + not_selected + still_buffered;
  }
};

}  // namespace spool
