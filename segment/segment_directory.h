// What is in a log directory: segments by base offset, and leftovers of interrupted work.
#pragma once

#include <optional>

#include <cstdint>
#include <string>
#include <vector>

#include "spool/status.h"

namespace spool::segment {

struct DirectoryListing {
  std::vector<std::uint64_t> segments;        // base offsets, ascending
  std::vector<std::uint64_t> indexes;         // base offsets of .idx files, ascending
  std::vector<std::string> leftovers;         // *.deleted and *.tmp names: safe to remove
};

Result<DirectoryListing> list_log_directory(const std::string& dir);

// The segment size the log in `dir` was written with (the largest segment file: the active
// one is preallocated to it, sealed ones are trimmed below it); nullopt when there is no
// segment or none says. Reopening a log for writing with this size keeps its files as they
// are.
std::optional<std::uint64_t> existing_segment_bytes(const std::string& dir);

}  // namespace spool::segment
