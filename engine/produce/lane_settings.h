// What a lane opens with: its name checked, its directory, and the Options of its log's
// BufferCore (the Buffer's, with the lane's own settings over them).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spool/buffer_options.h"
#include "spool/lane_options.h"
#include "spool/status.h"

namespace spool::engine {

// [a-z0-9_-], 1-32 characters, not "default": it becomes a directory name.
bool valid_lane_name(std::string_view name) noexcept;

// DIR for the default lane, DIR/lanes/<name> for any other.
std::string lane_directory(const std::string& dir, std::string_view lane);

// The lanes whose directories under DIR/lanes hold a log (a marker), sorted by name; anything
// else there is left alone. Empty when DIR/lanes does not exist.
std::vector<std::string> lanes_on_disk(const std::string& dir);

// NotFound: "no lane 'NAME' in DIR (its lanes: default, ...)".
Status no_such_lane(const std::string& dir, std::string_view lane,
                    const std::vector<std::string>& lanes);

// `s` with "lane 'NAME': " before its message (not for the default lane, whose errors read as
// they did before lanes).
Status lane_status(std::string_view lane, Status s);

// For an operation done lane after lane within one timeout (0 = none): what is left of it at
// `deadline` (start + timeout_ms), at least 1 ms so that a late lane still gets a try.
std::uint32_t timeout_left_ms(std::chrono::steady_clock::time_point deadline,
                              std::uint32_t timeout_ms);

// Checks Options::lanes: at most kMaxLanes - 1 of them, valid and distinct names, routes
// that compile (LaneRoute). InvalidArgument naming the lane and the field.
Status validate_lanes(const Options& options);

// The Options of `lane`'s BufferCore: `base` with the lane's set fields, no lanes of its own
// and a log id of its own (LaneOptions explains each field and the segment size default).
Options lane_buffer_options(const Options& base, const LaneOptions& lane);

}  // namespace spool::engine
