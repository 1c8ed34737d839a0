#include "engine/produce/lane_settings.h"

#include <algorithm>
#include <set>

#include "engine/produce/lane_route.h"
#include "io/env.h"
#include "segment/segment_directory.h"

namespace spool::engine {

namespace {

constexpr std::size_t kMaxLaneNameBytes = 32;
constexpr std::uint64_t kMinDefaultLaneSegmentBytes = 1ull << 20;
constexpr std::uint64_t kCapSegments = 8;  // a capped lane's default segment: its cap / this

}  // namespace

bool valid_lane_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > kMaxLaneNameBytes || name == kDefaultLane) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::string lane_directory(const std::string& dir, std::string_view lane) {
  if (lane == kDefaultLane) return dir;
  return dir + "/" + std::string(kLanesSubdirectory) + "/" + std::string(lane);
}

Status no_such_lane(const std::string& dir, std::string_view lane,
                    const std::vector<std::string>& lanes) {
  std::string list;
  for (const std::string& name : lanes) list += (list.empty() ? "" : ", ") + name;
  return Status::not_found("no lane '" + std::string(lane) + "' in " + dir +
                           " (its lanes: " + list + ")");
}

Status lane_status(std::string_view lane, Status s) {
  if (s.is_ok() || lane == kDefaultLane) return s;
  return Status(s.code(), "lane '" + std::string(lane) + "': " + s.message());
}

std::uint32_t timeout_left_ms(std::chrono::steady_clock::time_point deadline,
                              std::uint32_t timeout_ms) {
  if (timeout_ms == 0) return 0;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(left.count(), 1, timeout_ms));
}

std::vector<std::string> lanes_on_disk(const std::string& dir) {
  const std::string lanes_dir = dir + "/" + std::string(kLanesSubdirectory);
  std::vector<io::DirEntry> entries;
  if (io::env().list_directory(lanes_dir, &entries) < 0) return {};
  std::vector<std::string> names;
  for (const io::DirEntry& e : entries) {
    if (!e.directory || !valid_lane_name(e.name)) continue;
    auto state = segment::inspect_log_directory(lanes_dir + "/" + e.name);
    if (state && state->kind == segment::LogDirectoryKind::kMarked) names.push_back(e.name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Status validate_lanes(const Options& options) {
  if (options.lanes.size() + 1 > kMaxLanes) {
    return Status::invalid_argument("lanes: " + std::to_string(options.lanes.size()) +
                                    " declared, at most " + std::to_string(kMaxLanes - 1) +
                                    " besides the default lane");
  }
  std::set<std::string_view> names;
  for (const LaneOptions& lane : options.lanes) {
    if (!valid_lane_name(lane.name)) {
      return Status::invalid_argument("lane name '" + lane.name +
                                      "': 1-32 characters of a-z, 0-9, _ and -, and not 'default'");
    }
    if (!names.insert(lane.name).second)
      return Status::invalid_argument("lane '" + lane.name + "' is declared twice");
    if (lane.segment_bytes && *lane.segment_bytes == 0) {
      return Status::invalid_argument("lane '" + lane.name + "': segment_bytes must be > 0");
    }
    if (lane.queue_bytes && *lane.queue_bytes == 0) {
      return Status::invalid_argument("lane '" + lane.name + "': queue_bytes must be > 0");
    }
  }
  auto route = LaneRoute::compile(options.lanes);
  return route ? Status::ok() : route.status();
}

Options lane_buffer_options(const Options& base, const LaneOptions& lane) {
  Options o = base;
  o.lanes.clear();
  o.log.log_id = 0;  // its own: idempotency keys are <log id>-<offset>
  if (lane.max_bytes) o.log.retention_bytes = *lane.max_bytes;
  if (lane.max_age_ms) o.log.retention_max_age_ms = *lane.max_age_ms;
  if (lane.segment_bytes) {
    o.log.segment_bytes = *lane.segment_bytes;
  } else if (o.log.retention_bytes > 0) {
    const std::uint64_t fits_cap =
        std::max(kMinDefaultLaneSegmentBytes, o.log.retention_bytes / kCapSegments);
    o.log.segment_bytes = std::min(o.log.segment_bytes, fits_cap);
  }
  if (lane.full_policy) o.full_policy = *lane.full_policy;
  if (lane.disk_full_policy) o.disk_full_policy = *lane.disk_full_policy;
  if (lane.queue_bytes) {
    o.queue_bytes = *lane.queue_bytes;
    o.min_queue_bytes = std::min(o.min_queue_bytes, o.queue_bytes);
  }
  if (lane.block_timeout_ms) o.block_timeout_ms = *lane.block_timeout_ms;
  if (lane.sample_above_fill) o.sample_above_fill = *lane.sample_above_fill;
  if (lane.sample_keep_one_in) o.sample_keep_one_in = *lane.sample_keep_one_in;
  if (lane.durability) o.log.durability = *lane.durability;
  if (lane.sync_interval_ms) o.log.sync_interval_ms = *lane.sync_interval_ms;
  return o;
}

}  // namespace spool::engine
