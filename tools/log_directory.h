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

}  // namespace spool::tools
