// RecoveryReport as JSON: the one rendering shared by `spoolctl verify` and `spoolctl
// recover`, so both describe damage with the same fields.
#pragma once

#include <array>

#include <cstdint>
#include <nlohmann/json.hpp>

#include "report/stats_json.h"

#include "spool/buffer_stats.h"

#include "segment/recovery_report.h"

namespace spool::tools {

// {"segment": base offset, "file": segment file name, "from_byte", "to_byte", "bytes", "reason"}
nlohmann::ordered_json damaged_range_json(const segment::DamagedRange& range);

// Every damaged range, skipped ones then truncated ones, each with "kind": "skipped" or
// "truncated" added.
nlohmann::ordered_json damage_json(const segment::RecoveryReport& report);

// Number of damaged ranges (skipped + truncated) and their total size in bytes.
std::uint64_t damaged_range_count(const segment::RecoveryReport& report);
std::uint64_t damaged_bytes(const segment::RecoveryReport& report);

// Cursors recovery found past the end of the log, with the offsets skipped for each.
// {reason name: count} for every DropReason with a non-zero count (BufferStats, a producer).
using report::dropped_by_reason_json;  // report/stats_json.h
nlohmann::ordered_json cursors_past_end_json(const segment::RecoveryReport& report);
// The whole report: clean_shutdown, full_scan, segments, segments_scanned, records_scanned,
// recovery_point, next_offset, offsets_skipped, cursors_past_end, truncated, skipped,
// rebuilt_indexes, removed_files, notes.
nlohmann::ordered_json recovery_report_json(const segment::RecoveryReport& report);

}  // namespace spool::tools
