// Lanes (include/spool/lane_options.h) as the tools take them: the keys of a [[lane]] table
// in spoold's config file, and --lane SPEC on spoold's and `spoolctl produce`'s command lines:
//
//   NAME=TERM[,TERM...][;KEY=VALUE...]     e.g.  logs=log;max_bytes=16MiB;policy=drop_oldest
//
// Keys are LaneOptions' fields: route (comma-separated terms), max_bytes, segment_bytes and
// queue_bytes (sizes: bytes, or with K/M/G, KiB/MiB/GiB, kB/MB/GB), max_age_ms,
// full_policy and disk_full_policy (block, drop_newest, drop_oldest, sample; "policy" sets
// both),
// block_timeout_ms, sample_above_fill (0-1), sample_keep_one_in, durability (none,
// interval, batch), sync_interval_ms, breaker_failure_threshold.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "spool/lane_options.h"
#include "spool/status.h"

namespace spool::tools {

// Sets one key of `lane` from its text; InvalidArgument naming the key and what it takes.
Status set_lane_key(LaneOptions* lane, std::string_view key, std::string_view value);

// The fields `lane` sets, by their keys above (policies and durability by name); not its name
// or route.
nlohmann::ordered_json lane_settings_json(const LaneOptions& lane);

// "a,b,,c" -> {"a", "b", "", "c"}: the items of a list, as given (a route, a sink's lanes).
std::vector<std::string> split_list(std::string_view text, char separator = ',');

// A lane from --lane SPEC; InvalidArgument naming what is wrong.
Result<LaneOptions> parse_lane_spec(std::string_view spec);

// "route, max_bytes, ...": the keys, for messages.
std::string lane_key_list();

}  // namespace spool::tools
