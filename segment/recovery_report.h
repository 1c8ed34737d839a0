// What recovery found and did, for logs, `spoolctl recover` and tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace spool::segment {

// A byte range [from_byte, to_byte) of one segment file.
struct DamagedRange {
  std::uint64_t segment_base = 0;
  std::uint64_t from_byte = 0;
  std::uint64_t to_byte = 0;
  std::string reason;  // what the first bad frame position looked like ("checksum mismatch", ...)
  std::uint64_t bytes() const noexcept { return to_byte - from_byte; }
};

// A consumer cursor found past the end of the recovered log: records it had acknowledged
// were lost (an unsynced tail in none/interval durability, cut by a power loss).
struct CursorPastEnd {
  std::string name;             // the cursor (cursors/<name>.cursor)
  std::uint64_t next_offset = 0;  // its committed position
  std::uint64_t log_end = 0;      // one past the last offset recovery found (or the checkpoint had)
  std::uint64_t gap() const noexcept { return next_offset - log_end; }
};

struct RecoveryReport {
  bool clean_shutdown = false;      // the checkpoint said the last close was clean
  bool full_scan = false;           // every segment was scanned
  std::uint64_t segments = 0;       // segment files in the log after recovery
  std::uint64_t segments_scanned = 0;
  std::uint64_t records_scanned = 0;
  std::uint64_t recovery_point = 0; // segments with a lower base offset were trusted as synced
  std::vector<DamagedRange> truncated;  // torn tails cut off (the active segment only)
  std::vector<DamagedRange> skipped;    // damage left in place and skipped by readers
  std::vector<std::uint64_t> rebuilt_indexes;  // segments whose .idx was missing or bad
  std::vector<std::string> removed_files;      // leftovers of interrupted deletions/renames
  std::vector<std::string> notes;              // anything else worth saying
  std::uint64_t next_offset = 0;
  // Offsets never handed out because a cursor was past the end: the next offset was raised
  // to the furthest cursor so no offset a consumer acknowledged is assigned again.
  std::uint64_t offsets_skipped = 0;
  std::vector<CursorPastEnd> cursors_past_end;

  bool found_damage() const noexcept { return !truncated.empty() || !skipped.empty(); }
};

}  // namespace spool::segment
