// What is in a log directory: whether it is a log at all, its segments by base offset, and
// leftovers of interrupted work.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "segment/log_marker.h"
#include "spool/status.h"

namespace spool::segment {

struct DirectoryListing {
  std::vector<std::uint64_t> segments;        // base offsets, ascending
  std::vector<std::uint64_t> indexes;         // base offsets of .idx files, ascending
  // Names only spool makes, left by interrupted work (safe to remove): <20 digits>.seg.deleted
  // and <20 digits>.idx.deleted (a retention deletion whose rename was its commit point), and
  // the temp file of an atomic write that never renamed: <20 digits>.idx.tmp, checkpoint.tmp,
  // SPOOL_LOG.tmp, zstd.dict.tmp, zstd.dict.trained.tmp. Never any other *.tmp or *.deleted.
  std::vector<std::string> leftovers;
};

Result<DirectoryListing> list_log_directory(const std::string& dir);

// What SegmentLog::open finds at a path, decided before it changes anything there.
enum class LogDirectoryKind : std::uint8_t {
  kMissing,    // nothing at the path: a new log (read-write) creates it
  kEmpty,      // an empty directory: a new log
  kMarked,     // a directory with a valid marker (log_marker.h)
  kPreMarker,  // no marker, but a log made before markers existed: a checkpoint whose
               // checksum holds, or a *.seg file whose header is a valid spool segment header
               // for its name. The next writer adopts it (writes the marker).
};

struct LogDirectoryState {
  LogDirectoryKind kind = LogDirectoryKind::kMissing;
  std::optional<LogMarker> marker;  // with kMarked
};

// Classifies `dir` without changing anything in it. Errors (each naming the directory):
// InvalidArgument when it is not a directory, or is a non-empty directory that is not a
// spool log ("... is not a spool log: it holds files but no SPOOL_LOG marker ..."); Corruption
// when its marker is damaged; IoError when it cannot be read.
Result<LogDirectoryState> inspect_log_directory(const std::string& dir);

// Refuses (PermissionDenied, naming the directory and what is wrong) an existing directory
// that another user owns, or that group or others may write although `dir_mode` does not let
// them: whoever controls it could read or replace what spool writes there. Applies to root
// too: files root creates in another user's log would lock that user out of them.
Status check_directory_trusted(const std::string& dir, mode_t dir_mode);

// The segment size the log in `dir` was written with (the largest segment file: the active
// one is preallocated to it, sealed ones are trimmed below it); nullopt when there is no
// segment or none says. Reopening a log for writing with this size keeps its files as they
// are. For logs without a marker (the marker records the size).
std::optional<std::uint64_t> existing_segment_bytes(const std::string& dir);

}  // namespace spool::segment
