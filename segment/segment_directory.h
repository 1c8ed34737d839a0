// What is in a log directory: segments by base offset, and leftovers of interrupted work.
#pragma once

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

}  // namespace spool::segment
