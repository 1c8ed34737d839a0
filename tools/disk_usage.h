// How much disk a directory tree takes: what `spoolctl produce` and the end-to-end driver
// report as bytes on disk, the same way for spool's log and for every baseline's files.
#pragma once

#include <cstdint>
#include <string>

#include "spool/status.h"

namespace spool::tools {

struct DiskUsage {
  // Blocks the filesystem allocated (st_blocks * 512): what df sees. Counts preallocated,
  // not yet written space (spool's active segment is fallocate'd whole) and not holes.
  std::uint64_t allocated_bytes = 0;
  std::uint64_t file_bytes = 0;  // sum of the regular files' sizes (st_size)
  std::uint64_t files = 0;
};

// Regular files below `dir`, recursively (symlinks are not followed).
Result<DiskUsage> disk_usage(const std::string& dir);

}  // namespace spool::tools
