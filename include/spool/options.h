// Options of the segment log. Validated by SegmentLog::open; a bad value is an error value.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace spool {

// What an acknowledged append may lose (see README "Durability").
enum class Durability : std::uint8_t {
  kNone,      // in the page cache when acknowledged: survives kill -9, not power loss
  kInterval,  // fdatasync at most every sync_interval_ms: power loss loses at most that window
  kBatch,     // fdatasync before an append is acknowledged: survives power loss
};
// "none", "interval", "batch"; and back (nullopt for any other text).
std::string_view durability_name(Durability durability) noexcept;
std::optional<Durability> durability_from_name(std::string_view name) noexcept;

// How bytes reach the file.
enum class IoBackend : std::uint8_t {
  kAuto,    // io_uring when the kernel allows it (not EPERM/ENOSYS), else pwrite
  kUring,   // io_uring or an error
  kPwrite,  // plain pwrite + fdatasync
};

// The largest payload when LogOptions::max_record_bytes is left at 0 (if a segment holds it).
inline constexpr std::uint32_t kDefaultMaxRecordBytes = 4u << 20;

// What a log's size cap (LogOptions::retention_bytes) does with records a consumer still needs.
enum class SizeCapRule : std::uint8_t { kDeleteOldest, kKeepNeeded };

struct LogOptions {
  // Size every segment file is preallocated to; a segment rotates when the next frame
  // does not fit. Minimum 128 bytes (for tests); default 64 MiB.
  std::uint64_t segment_bytes = 64ull << 20;
  // Largest accepted payload. 0 (the default): kDefaultMaxRecordBytes (4 MiB), or less when
  // a segment cannot hold that much (small segment_bytes). A value that does not fit in one
  // segment is rejected by a writable open, naming both values: such a record could never
  // be written.
  std::uint32_t max_record_bytes = 0;
  // One sparse index entry per this many bytes of frames.
  std::uint32_t index_interval_bytes = 4096;
  Durability durability = Durability::kNone;
  std::uint32_t sync_interval_ms = 1000;  // for Durability::kInterval
  IoBackend io_backend = IoBackend::kAuto;
  // Retention: delete oldest whole sealed segments while the log is larger than this
  // (0 = no size cap) or their newest record is older than max_age_ms (0 = no age cap).
  std::uint64_t retention_bytes = 0;
  std::uint64_t retention_max_age_ms = 0;
  // What the size cap may delete (segment/retention.cc): kDeleteOldest deletes the oldest
  // segments whether a consumer cursor still needs them or not (the disk must not fill);
  // kKeepNeeded deletes only segments every cursor has passed (none while the log has no
  // cursor), and the log refuses to grow past the cap instead: an append that would need a
  // new segment beyond it fails NoSpace (SegmentLog::at_size_cap()).
  SizeCapRule size_cap_rule = SizeCapRule::kDeleteOldest;
  // Identity written into every segment header and mixed into every frame checksum
  // (0 = keep the existing log's id, or pick a random one for a new log).
  std::uint64_t log_id = 0;
  // Sealed segments mapped at a time (segment/segment_mappings.h): they are mapped on first
  // read and the least recently used beyond this are unmapped. 0: no limit. The active
  // segment is always mapped and not counted.
  std::uint32_t max_mapped_segments = 1024;
  // Scan every segment on open, ignoring the clean-shutdown marker and recovery point.
  bool full_recovery_scan = false;
  // Modes of every file (segments, indexes, checkpoint, LOCK, cursors, dead letters, the
  // zstd dictionary, the marker, temp files) and every directory (the log directory,
  // cursors/, deadletter/) spool creates for this log, exactly: the umask changes neither.
  // Private by default; e.g. 0640 / 0750 to share the log with a group. An existing log
  // directory owned by another user, or writable by group or others beyond dir_mode, is
  // refused (README "Layout and permissions").
  mode_t file_mode = 0600;
  mode_t dir_mode = 0700;
};

}  // namespace spool
