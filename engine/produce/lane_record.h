// A lane's record: DIR/lanes/<name>/LANE holds what the lane's writer declared (its route and
// settings, LaneOptions), so that a process that declares no lanes itself (an application
// attached to spoold's log, spoolctl) routes, caps and forwards each lane as the writer does.
//
// The process that writes the default lane writes the records whenever it opens with
// Options::lanes: every declared lane's, and for a lane on disk it no longer declares, its
// record without a route (retired). Atomically and durably (LANE.tmp, fsync, rename, fsync
// of the directory), with the log's file mode. A lane made before records existed has none:
// it counts as retired.
//
// Format: ASCII text, each line ended by "\n", at most kMaxBytes:
//   spool-lane 1                       magic and format version
//   name <name>                        the lane's name (its directory's)
//   route <term>[,<term>...]           absent when retired
//   <field> <value>                    each LaneOptions field that is set, in this order:
//                                      max_bytes, max_age_ms, segment_bytes, full_policy,
//                                      disk_full_policy, queue_bytes, block_timeout_ms,
//                                      sample_above_fill, sample_keep_one_in, durability,
//                                      sync_interval_ms, breaker_failure_threshold; numbers in
//                                      decimal, policies and durability by name
//   checksum <16 hex digits>           XXH3-64 of every byte before this line
// A key this version does not know (a newer writer's) is skipped; anything else out of shape
// (a bad value, a wrong checksum, a name that is not its directory's) is Corruption.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "spool/lane_options.h"
#include "spool/status.h"

namespace spool::engine {

inline constexpr std::string_view kLaneRecordFile = "LANE";
inline constexpr std::size_t kMaxLaneRecordBytes = 4096;

std::string encode_lane_record(const LaneOptions& lane);
Result<LaneOptions> decode_lane_record(std::string_view text);

// The record in `lane_dir` (DIR/lanes/<name>); nullopt when it has none. Corruption names the
// file and what is wrong with it.
Result<std::optional<LaneOptions>> read_lane_record(const std::string& lane_dir);
Status write_lane_record(const std::string& lane_dir, const LaneOptions& lane, mode_t file_mode);

}  // namespace spool::engine
