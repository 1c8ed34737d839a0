// Consumer cursors of a log directory, for tools: list them with their lag and totals, move
// or delete one. A cursor's value is the next offset to deliver (Kafka semantics); each is a
// small file under <dir>/cursors/, replaced atomically.
//
// These work on a directory a running Forwarder may be using, but a running Forwarder keeps
// its own position: move its cursor with Forwarder::seek() instead.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "spool/forwarder.h"
#include "spool/forwarder_stats.h"
#include "spool/status.h"

namespace spool {

struct CursorInfo {
  std::string name;
  std::uint64_t next_offset = 0;
  std::int64_t updated_ns = 0;     // wall clock of the last commit
  // Offsets beyond next_offset already settled (a forwarder delivering by priority or newest
  // first, or with a selection): not part of the lag.
  std::uint64_t settled_ahead = 0;
  CursorLag lag;
  ForwardTotals totals;
  BandwidthUsage bandwidth;  // the limits its forwarder last ran with, the day's spend
};

struct LogSummary {
  std::uint64_t log_id = 0;
  std::uint64_t first_offset = 0;
  std::uint64_t next_offset = 0;
  std::uint64_t records = 0;
  std::uint64_t size_bytes = 0;
  std::uint64_t segments = 0;
  std::uint64_t dead_letters = 0;          // in <dir>/deadletter, ever
  std::uint64_t dead_letters_pending = 0;  // not yet requeued (nor deleted by retention)
  std::uint64_t dead_letters_dropped = 0;  // deleted by the dead-letter log's retention before requeued
  std::vector<CursorInfo> cursors;
};

// Reads the log (read-only, no lock), its cursors and its dead-letter log.
Result<LogSummary> summarize_log(const std::string& dir);
Result<std::vector<CursorInfo>> list_cursors(const std::string& dir);
// Creates the cursor if absent. kOffset clamps to [first, next] offset of the log. Both fail
// with Locked (naming the holder's pid) while a forwarder, in any process, runs on the cursor.
Status seek_cursor(const std::string& dir, const std::string& name, SeekTarget target, std::int64_t value = 0);
Status delete_cursor(const std::string& dir, const std::string& name);

}  // namespace spool
