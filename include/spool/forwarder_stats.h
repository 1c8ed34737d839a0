// What a Forwarder reports: totals per cursor (persisted with the cursor, so they survive
// restarts and `spoolctl stats DIR` can read them), lag, and the accounting identity that
// proves nothing went missing.
#pragma once

#include <array>
#include <cstdint>
#include <string>

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
  std::int64_t last_flush_ns = 0;         // wall clock of the last acknowledged send; 0 = never
  std::int64_t last_error_ns = 0;         // wall clock of the last failure; 0 = never
  std::string last_error;                 // its message
};

// Per-cursor lag: what the log holds beyond the cursor.
struct CursorLag {
  std::uint64_t records = 0;              // committed end - cursor - settled ahead (offsets)
  std::uint64_t bytes = 0;                // frame bytes from the cursor to the committed end
  std::int64_t oldest_age_ns = 0;         // now - buffered-at of the record at the cursor; 0 if none
};

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
