// Checks spoolctl makes on a log directory before handing it to SegmentLog, so that a typo
// in a path is reported as such instead of as an empty log (read-only) or a new log
// created in the wrong place (read-write).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "spool/status.h"

namespace spool::tools {

// OK when `dir` is a directory holding a log (a segment file or a checkpoint); otherwise
// NotFound "log directory DIR does not exist", or InvalidArgument saying what it is instead.
Status require_existing_log(const std::string& dir);

// OK when `dir` is an existing directory or can be created as one (its parent exists).
Status require_creatable_log_dir(const std::string& dir);

// The log's segment size as its files show it (the largest segment file). The segment size
// is not recorded anywhere in the log, so commands that reopen a log for writing without
// --segment-bytes use this to keep it, instead of growing the active segment to the
// library default. nullopt when there is no usable segment file.
std::optional<std::uint64_t> existing_segment_bytes(const std::string& dir);

}  // namespace spool::tools
