// The lanes of a log directory as they are on disk (lane_options.h), for tools that read a
// directory without opening a Buffer on it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spool/lane_options.h"
#include "spool/status.h"

namespace spool {

// "default", then every lane under DIR/lanes/ that holds a log, by name.
std::vector<std::string> list_lanes(const std::string& dir);

// The log directory of `lane` in `dir`: DIR itself for "default", DIR/lanes/<lane> else.
// NotFound (naming the lanes there) when `dir` has no such lane.
Result<std::string> find_lane_directory(const std::string& dir, std::string_view lane);

// What the writer of `dir`'s default lane declared for `lane` (its route and settings), as it
// recorded them in DIR/lanes/<lane>/LANE: the route is empty for a lane it no longer declares
// (retired). nullopt for the default lane and for a lane without a record. NotFound for no
// such lane; Corruption for a damaged record.
Result<std::optional<LaneOptions>> recorded_lane(const std::string& dir, std::string_view lane);

}  // namespace spool
