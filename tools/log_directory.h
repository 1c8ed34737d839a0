// Checks spoolctl makes on a log directory before handing it to SegmentLog, so that a typo
// in a path is reported as such instead of as an empty log (read-only) or a new log
// created in the wrong place (read-write), and a directory that is not a spool log is
// refused before anything in it is read as a log or changed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "spool/options.h"
#include "spool/status.h"

namespace spool::tools {

// OK when `dir` is a directory holding a log (its marker, or a pre-marker log proven by a
// valid checkpoint or segment header: segment_directory.h); otherwise NotFound "log
// directory DIR does not exist", or InvalidArgument saying what it is instead (an empty
// directory, not a directory, a directory that is not a spool log).
Status require_existing_log(const std::string& dir);

// OK when `dir` is missing (its parent exists) or empty, which makes a new log, or is an
// existing log; a non-empty directory that is not a spool log is refused.
Status require_creatable_log_dir(const std::string& dir);

// The settings the log in `dir` was written with: from its marker, or for a pre-marker log
// its segment size (from its files) and no retention. Defaults for a new log.
Result<LogOptions> existing_log_options(const std::string& dir);

}  // namespace spool::tools
